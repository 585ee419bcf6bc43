import GatehouseCore
import Hummingbird

extension RealmController {
    struct Keys: ResponseEncodable {
        var keys: [[String: JSONValue]]
    }

    struct Discovery: ResponseEncodable {
        var issuer: String
        var jwks_uri: String
        var token_endpoint: String
        var introspection_endpoint: String
        var revocation_endpoint: String
        var token_endpoint_auth_methods_supported = ["none"]
        var introspection_endpoint_auth_methods_supported = ["bearer"]
        var revocation_endpoint_auth_methods_supported = ["none"]
        var grant_types_supported = ["password", "refresh_token"]
        var id_token_signing_alg_values_supported: [String]
        var response_types_supported = ["token"]
        var subject_types_supported = ["public"]
    }

    /// The realm's JWKS and discovery document, which verifiers may cache (``cacheLifetime(_:)``).
    func registerWellKnown<Context: RequestContext>(on realm: RouterGroup<Context>) {
        realm.get(".well-known/jwks.json") { request, context in
            let realm = try await self.realm(context)
            return try Self.cacheable(Keys(keys: realm.ring.published), realm, request, context)
        }
        realm.get(".well-known/openid-configuration") { request, context in
            let realm = try await self.realm(context)
            let discovery = Discovery(
                issuer: realm.issuer,
                jwks_uri: realm.issuer + "/.well-known/jwks.json",
                token_endpoint: realm.issuer + "/api/token/",
                introspection_endpoint: realm.issuer + "/oauth/introspect",
                revocation_endpoint: realm.issuer + "/oauth/revoke",
                id_token_signing_alg_values_supported: [realm.ring.active.algorithm.rawValue]
            )
            return try Self.cacheable(discovery, realm, request, context)
        }
    }

    /// How long a verifier may keep the JWKS: a quarter of `key_publish_ahead`, at most five
    /// minutes. A staged key is published that long before it signs, so a verifier that
    /// honours the answer's `max-age` always holds a key before the first token it signs.
    static func cacheLifetime(_ realm: Realm) -> Int {
        min(300, Int(realm.settings.keyPublishAhead.components.seconds / 4))
    }

    private static func cacheable(
        _ value: some ResponseEncodable,
        _ realm: Realm,
        _ request: Request,
        _ context: some RequestContext
    ) throws -> Response {
        var response = try value.response(from: request, context: context)
        response.headers[.cacheControl] = "public, max-age=\(Self.cacheLifetime(realm))"
        return response
    }
}
