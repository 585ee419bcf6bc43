import Foundation
public import GatehouseCore
import HTTPTypes
public import Hummingbird

/// The standard endpoints resource servers and OAuth clients call, under each realm:
/// RFC 7662 introspection (`POST {base}/oauth/introspect`, for resource servers holding an
/// admin key that reaches the tenant) and RFC 7009 revocation (`POST {base}/oauth/revoke`,
/// for a public client presenting its own token). Bodies are forms (or JSON), as for the
/// token API.
public struct OAuthController: Sendable {
    let tokens: TokenService
    let admin: AdminService
    let clientAddress: ClientAddress

    /// - Parameters:
    ///   - tokens: the realms' token service.
    ///   - admin: checks the admin keys that introspection is authenticated with.
    ///   - clientAddress: tells which address a revocation comes from, for `throttle_anon`.
    public init(tokens: TokenService, admin: AdminService, clientAddress: ClientAddress) {
        self.tokens = tokens
        self.admin = admin
        self.clientAddress = clientAddress
    }

    /// RFC 7662 §2.2: what an active token's answer holds.
    struct Active: ResponseEncodable {
        var active = true
        var sub: String
        var exp: Int
        var iat: Int
        var iss: String
        var jti: String
        var token_type: String
        var username: String
    }

    /// RFC 7662 §2.2: the whole answer for every token that is not active, whatever the reason.
    struct Inactive: ResponseEncodable {
        var active = false
    }

    /// Adds the routes to `router`.
    public func register<Context: AdminRequestContext & RemoteAddressRequestContext>(on router: Router<Context>) {
        let oauth = router.group("t/:tenant/:environment/oauth").add(middleware: NoStoreMiddleware())
        oauth.group("introspect")
            .add(middleware: AdminAuthenticator(admin: self.admin))
            .post { request, context -> Response in
                let realm = try await RealmController.realm(context, tokens: self.tokens)
                let token = try await Self.token(request)
                guard let active = try await self.tokens.introspect(in: realm, token: token) else {
                    return try Inactive().response(from: request, context: context)
                }
                let claims = active.claims
                return try Active(
                    sub: claims.userID.uuidString.lowercased(),
                    exp: Int(claims.expiresAt.timeIntervalSince1970),
                    iat: Int(claims.issuedAt.timeIntervalSince1970.rounded(.down)),
                    iss: active.issuer,
                    jti: claims.jti.uuidString.lowercased(),
                    token_type: claims.type.rawValue,
                    username: active.username
                ).response(from: request, context: context)
            }
        oauth.post("revoke") { request, context -> Response in
            let realm = try await RealmController.realm(context, tokens: self.tokens)
            try await RealmController(tokens: self.tokens, clientAddress: self.clientAddress).throttleAnonymous(realm, request, context)
            switch try await self.tokens.revoke(in: realm, token: try await Self.token(request)) {
            case .done:
                return Response(status: .ok)
            case .unsupportedTokenType:
                var error = APIError(
                    .badRequest,
                    code: "unsupported_token_type",
                    detail: "Access tokens cannot be revoked one by one; they expire. Revoke the refresh token, or the user."
                )
                error.oauthError = "unsupported_token_type"
                throw error
            }
        }
    }

    /// The `token` field of the body; 400 `invalid_request` (with `error`, RFC 6749 §5.2) without it.
    private static func token(_ request: Request) async throws -> String {
        do {
            return try await RequestFields.read(from: request).strings("token")[0]
        } catch var error as APIError where error.code == "invalid_request" {
            error.oauthError = "invalid_request"
            throw error
        }
    }
}
