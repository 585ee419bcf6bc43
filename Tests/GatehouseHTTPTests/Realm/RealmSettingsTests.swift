import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite(.timeLimit(.minutes(5))) struct RealmSettingsTests {
    @Test(arguments: ["EdDSA", "RS256", "HS256"])
    func everyAlgorithmSignsAndVerifies(algorithm: String) async throws {
        try await TestDeployment.with(settings: ["algorithm": .string(algorithm)]) { deployment in
            try await deployment.test { api in
                let (access, refresh) = try await api.login()
                let (header, _) = try RealmControllerTests.decode(access)
                #expect(header["alg"]?.stringValue == algorithm)
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).status == .ok)
                let jwks = try await api.send(.get, "/.well-known/jwks.json")
                let keys: [JSONValue] = jwks.json["keys"].flatMap { if case .array(let keys) = $0 { keys } else { nil } } ?? []
                if algorithm == "HS256" {
                    #expect(keys.isEmpty, "an HMAC secret is never published")
                } else {
                    let key = try #require(keys.first?.objectValue)
                    #expect(key["alg"]?.stringValue == algorithm)
                    #expect(key["kty"]?.stringValue == (algorithm == "EdDSA" ? "OKP" : "RSA"))
                    #expect(key["d"] == nil && key["p"] == nil && key["q"] == nil)
                }
            }
        }
    }

    @Test func theAudienceIsSetAndRequired() async throws {
        try await TestDeployment.with(settings: ["audience": "mobile-app"]) { deployment in
            let realm = try await deployment.realm()
            try await deployment.test { api in
                let access = try await api.login().access
                let (_, claims) = try RealmControllerTests.decode(access)
                #expect(claims["aud"]?.stringValue == "mobile-app")
                var otherAudience = claims
                otherAudience["aud"] = "web"
                let forged = try realm.codec.sign(.access, claims: JSONValue.object(otherAudience).jsonText, with: realm.ring.active)
                #expect(try await api.send(.get, "/api/me/", bearer: forged).status == .unauthorized)
                otherAudience["aud"] = .array(["web", "mobile-app"])
                let listed = try realm.codec.sign(.access, claims: JSONValue.object(otherAudience).jsonText, with: realm.ring.active)
                #expect(try await api.send(.get, "/api/me/", bearer: listed).status == .ok)
            }
        }
    }

    /// Hourly windows: the four anonymous requests must fall in one window, and a minute's
    /// window could turn between them on a slow machine (CI saw it).
    @Test func throttlesAnswer429WithRetryAfter() async throws {
        try await TestDeployment.with(settings: ["throttle_anon": "3/hour", "throttle_user": "2/hour"]) { deployment in
            try await deployment.test { api in
                let access = try await api.login().access
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(access)]).status == .ok)
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(access)]).status == .ok)
                let throttled = try await api.post("/api/token/verify/", json: ["token": .string(access)])
                #expect(throttled.status == .tooManyRequests && throttled.code == "throttled")
                let retryAfter = try #require(throttled.headers[.retryAfter].flatMap { Int($0) })
                #expect(retryAfter >= 1 && retryAfter <= 3600)

                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .tooManyRequests)
            }
        }
    }

    @Test func customClaimsTravelInAccessTokensButCannotOverrideStandardOnes() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.database.query(
                #"UPDATE users SET claims = '{"plan": "pro", "iss": "evil", "username": "root", "scopes": ["a", "b"]}' WHERE username = 'alice'"#
            )
            try await deployment.test { api in
                let (access, refresh) = try await api.login()
                let (_, claims) = try RealmControllerTests.decode(access)
                #expect(claims["plan"]?.stringValue == "pro")
                #expect(claims["scopes"] == .array(["a", "b"]))
                #expect(claims["iss"]?.stringValue == "http://gatehouse.test/t/demo/prod")
                #expect(claims["username"]?.stringValue == "alice")
                let (_, refreshClaims) = try RealmControllerTests.decode(refresh)
                #expect(refreshClaims["plan"] == nil)
            }
        }
    }
}
