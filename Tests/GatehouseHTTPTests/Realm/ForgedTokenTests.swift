import Crypto
import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import JWTKit
import Testing

/// Every forged, foreign or misused token gets 401 `token_not_valid`, at verify and at me.
@Suite(.timeLimit(.minutes(5))) struct ForgedTokenTests {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func json(_ value: [String: JSONValue]) -> String {
        base64URL(Array(JSONValue.object(value).jsonText.utf8))
    }

    /// A token of `claims` signed with `key` itself, the header as the service writes it plus `extra`.
    static func signed(_ claims: [String: JSONValue], with key: KeyRing.Key, header extra: [String: JSONValue] = [:]) throws -> String {
        let header = Self.json(["alg": .string(key.algorithm.rawValue), "typ": "at+jwt", "kid": .string(key.kid)].merging(extra) { $1 })
        let input = header + "." + Self.json(claims)
        return input + "." + Self.base64URL(try key.signer.sign(Array(input.utf8)))
    }

    /// Expects 401 token_not_valid from verify and from me.
    static func expectRefused(_ token: String, _ api: RealmTestClient, _ comment: Comment) async throws {
        let verify = try await api.post("/api/token/verify/", json: ["token": .string(token)])
        #expect(verify.status == .unauthorized && verify.code == "token_not_valid", comment)
        let me = try await api.send(.get, "/api/me/", bearer: token)
        #expect(me.status == .unauthorized && me.code == "token_not_valid", comment)
    }

    /// Tokens signed with the realm's own key whose header or claims are wrong: those the
    /// JWT fuzzer found accepted (`nbf` in the future, `crit`, an `aud` in a realm without an
    /// audience), another issuer, `sub` ≠ `user_id`, required claims missing.
    @Test func signedTokensWithClaimsTheRFCsRefuseAreRefused() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            try await deployment.test { api in
                let access = try await api.login().access
                let (_, claims) = try RealmControllerTests.decode(access)
                let key = realm.ring.active
                func signed(header extra: [String: JSONValue] = [:], claims changes: [String: JSONValue] = [:]) throws -> String {
                    try Self.signed(claims.merging(changes) { $1 }, with: key, header: extra)
                }
                // The harness can see an acceptance: the same claims, re-signed, pass.
                #expect(try await api.send(.get, "/api/me/", bearer: try signed()).status == .ok)
                let now = Date().timeIntervalSince1970
                try await Self.expectRefused(try signed(claims: ["nbf": .number(now + 3600)]), api, "nbf an hour ahead")
                #expect(try await api.send(.get, "/api/me/", bearer: try signed(claims: ["nbf": .number(now - 5)])).status == .ok)
                try await Self.expectRefused(try signed(header: ["crit": ["x-gh"], "x-gh": true]), api, "crit")
                try await Self.expectRefused(try signed(header: ["crit": ["b64"], "b64": false]), api, "crit b64")
                try await Self.expectRefused(try signed(header: ["crit": "x-gh"]), api, "crit not a list")
                try await Self.expectRefused(try signed(claims: ["aud": "someone-else"]), api, "aud without an audience")
                // Another issuer, a sub that is not user_id, each required claim missing.
                try await Self.expectRefused(try signed(claims: ["iss": "http://elsewhere.test/t/demo/prod"]), api, "another issuer")
                try await Self.expectRefused(try signed(claims: ["sub": .string(UUID().uuidString.lowercased())]), api, "sub is not user_id")
                for missing in ["token_type", "iss", "sub", "user_id", "exp", "iat", "jti"] {
                    var without = claims
                    without[missing] = nil
                    try await Self.expectRefused(try Self.signed(without, with: key), api, "without \(missing)")
                }
            }
        }
    }

    @Test func forgedTokensAreRefused() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            try await deployment.test { api in
                let access = try await api.login().access
                let (header, claims) = try RealmControllerTests.decode(access)
                let kid = try #require(header["kid"]?.stringValue)
                let parts = access.split(separator: ".").map(String.init)

                // alg: none, with and without a signature.
                let none = Self.json(["alg": "none", "typ": "at+jwt", "kid": .string(kid)]) + "." + parts[1]
                try await Self.expectRefused(none + ".", api, "alg none, empty signature")
                try await Self.expectRefused(none + "." + parts[2], api, "alg none, real signature")

                // HS256 with the ES256 key's public PEM as the HMAC secret.
                let jwks = try await api.send(.get, "/.well-known/jwks.json")
                let jwk = try #require(jwks.json["keys"].flatMap { if case .array(let keys) = $0 { keys.first?.objectValue } else { nil } })
                let publicPEM = try ES256PublicKey(
                    parameters: (x: try #require(jwk["x"]?.stringValue), y: try #require(jwk["y"]?.stringValue))
                ).pemRepresentation
                let hsInput = Self.json(["alg": "HS256", "typ": "at+jwt", "kid": .string(kid)]) + "." + parts[1]
                let mac = HMAC<SHA256>.authenticationCode(for: Array(hsInput.utf8), using: SymmetricKey(data: Array(publicPEM.utf8)))
                try await Self.expectRefused(hsInput + "." + Self.base64URL(mac), api, "HS256 with the public key")

                // Unknown kid, with the real signature.
                let unknown = Self.json(["alg": "ES256", "typ": "at+jwt", "kid": "no-such-kid"]) + "." + parts[1] + "." + parts[2]
                try await Self.expectRefused(unknown, api, "unknown kid")
                let noKid = Self.json(["alg": "ES256", "typ": "at+jwt"]) + "." + parts[1] + "." + parts[2]
                try await Self.expectRefused(noKid, api, "no kid")

                // Tampered payload: another role, same signature.
                var tampered = claims
                tampered["role"] = "admin"
                try await Self.expectRefused(parts[0] + "." + Self.json(tampered) + "." + parts[2], api, "tampered payload")

                // A refresh-typed header on an access payload, properly signed: typ and token_type disagree.
                var mixed = claims
                mixed["token_type"] = "refresh"
                let mixedToken = try realm.codec.sign(.access, claims: JSONValue.object(mixed).jsonText, with: realm.ring.active)
                try await Self.expectRefused(mixedToken, api, "typ at+jwt with token_type refresh")

                // Garbage of every shape.
                for garbage in ["", "a", "a.b", "a.b.c", "...", "a.b.c.d", String(repeating: "A", count: 20_000), "é.é.é"] {
                    let verify = try await api.post("/api/token/verify/", json: ["token": .string(garbage)])
                    #expect(verify.status == .unauthorized || verify.status == .badRequest, "\(garbage.prefix(10))")
                }
            }
        }
    }

    @Test func expiryIsCheckedWithLeeway() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            try await deployment.test { api in
                let (_, claims) = try RealmControllerTests.decode(try await api.login().access)
                let now = Date().timeIntervalSince1970
                var withinLeeway = claims
                withinLeeway["exp"] = .number((now - 10).rounded(.down))
                let recent = try realm.codec.sign(.access, claims: JSONValue.object(withinLeeway).jsonText, with: realm.ring.active)
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(recent)]).status == .ok)

                var beyondLeeway = claims
                beyondLeeway["exp"] = .number((now - 31).rounded(.down))
                let expired = try realm.codec.sign(.access, claims: JSONValue.object(beyondLeeway).jsonText, with: realm.ring.active)
                try await Self.expectRefused(expired, api, "expired beyond leeway")
            }
        }
    }

    @Test func tokensOfAnotherTenantOrEnvironmentAreRefused() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.createUser("alice", password: "secret", tenant: try await deployment.tenantID("other"))
            try await deployment.test { api in
                let staging = RealmTestClient(client: api.client, base: "/t/demo/staging")
                let other = RealmTestClient(client: api.client, base: "/t/other/prod")
                let fromStaging = try await staging.login()
                let fromOther = try await other.login()
                try await Self.expectRefused(fromStaging.access, api, "another environment")
                try await Self.expectRefused(fromOther.access, api, "another tenant")
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(fromStaging.refresh)]).status == .unauthorized)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(fromOther.refresh)]).status == .unauthorized)
                // Each still works where it was issued.
                #expect(try await staging.send(.get, "/api/me/", bearer: fromStaging.access).status == .ok)
            }
        }
    }

    @Test func aTokenOfOneTypeCannotStandForTheOther() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let (access, refresh) = try await api.login()
                let me = try await api.send(.get, "/api/me/", bearer: refresh)
                #expect(me.status == .unauthorized && me.code == "token_not_valid")
                let refreshed = try await api.post("/api/token/refresh/", json: ["refresh": .string(access)])
                #expect(refreshed.status == .unauthorized && refreshed.code == "token_not_valid")
                let blacklisted = try await api.post("/api/token/blacklist/", json: ["refresh": .string(access)])
                #expect(blacklisted.status == .unauthorized)
            }
        }
    }
}
