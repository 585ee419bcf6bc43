import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Sliding tokens (contract section 7): SimpleJWT's obtain and refresh, and the token's use
/// everywhere an access token goes, revocations and blacklisting included.
@Suite(.timeLimit(.minutes(5))) struct SlidingTokenTests {
    static func obtain(_ api: RealmTestClient) async throws -> String {
        let answer = try await api.post("/api/token/sliding/", json: ["username": "alice", "password": "secret"])
        #expect(answer.status == .ok && answer.headers[.cacheControl] == "no-store", "\(answer.json)")
        return try #require(answer["token"])
    }

    @Test func switchedOffThePathsAre404() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let obtain = try await api.post("/api/token/sliding/", json: ["username": "alice", "password": "secret"])
                #expect(obtain.status == .notFound && obtain.code == "not_found")
                let refresh = try await api.post("/api/token/sliding/refresh/", json: ["token": "x"])
                #expect(refresh.status == .notFound && refresh.code == "not_found")
            }
        }
    }

    @Test func aSlidingTokenCarriesTheAccessClaimsAndServesMeVerifyAndRefresh() async throws {
        try await TestDeployment.with(settings: ["sliding_tokens": true, "sliding_token_lifetime": 120, "sliding_token_refresh_lifetime": 3600]) {
            deployment in
            try await deployment.test { api in
                let token = try await Self.obtain(api)
                let claims = TokenInspection.claims(token)
                #expect(TokenInspection.header(token)["typ"] == "JWT" && claims["token_type"] == "sliding")
                #expect(claims["username"] == "alice" && claims["role"] == "user")
                let iat = try #require(claims["iat"]?.integerValue)
                #expect(claims["exp"]?.integerValue == iat + 120)
                let refreshExp = try #require(claims["refresh_exp"]?.integerValue)
                #expect((iat + 3599...iat + 3600).contains(refreshExp))

                #expect(try await api.send(.get, "/api/me/", bearer: token).json["username"] == "alice")
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(token)]).status == .ok)

                let refreshed = try await api.post("/api/token/sliding/refresh/", json: ["token": .string(token)])
                let next = try #require(refreshed["token"])
                #expect(refreshed.status == .ok && next != token)
                #expect(
                    TokenInspection.claims(next)["jti"] == claims["jti"] && TokenInspection.claims(next)["refresh_exp"]?.integerValue == refreshExp
                )

                // Not where another type belongs, nor the other way round.
                let access = try await api.login().access
                #expect(try await api.post("/api/token/sliding/refresh/", json: ["token": .string(access)]).code == "token_not_valid")
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(token)]).code == "token_not_valid")
            }
        }
    }

    @Test func refreshIsRefusedOnceRefreshExpHasPassed() async throws {
        try await TestDeployment.with(settings: ["sliding_tokens": true, "sliding_token_refresh_lifetime": 1, "leeway": 0]) { deployment in
            try await deployment.test { api in
                let token = try await Self.obtain(api)
                try await eventually {
                    try await api.post("/api/token/sliding/refresh/", json: ["token": .string(token)]).status == .unauthorized
                }
                let refused = try await api.post("/api/token/sliding/refresh/", json: ["token": .string(token)])
                #expect(refused.code == "token_not_valid")
                // The token itself still serves until its own exp.
                #expect(try await api.send(.get, "/api/me/", bearer: token).status == .ok)
            }
        }
    }

    @Test func blacklistingOneCopyStopsEveryCopy() async throws {
        try await TestDeployment.with(settings: ["sliding_tokens": true]) { deployment in
            try await deployment.test { api in
                let first = try await Self.obtain(api)
                let second = try #require(try await api.post("/api/token/sliding/refresh/", json: ["token": .string(first)])["token"])
                #expect(try await api.post("/api/token/blacklist/", json: ["refresh": .string(second)]).status == .ok)
                for token in [first, second] {
                    #expect(try await api.send(.get, "/api/me/", bearer: token).status == .unauthorized)
                    #expect(try await api.post("/api/token/verify/", json: ["token": .string(token)]).status == .unauthorized)
                    #expect(try await api.post("/api/token/sliding/refresh/", json: ["token": .string(token)]).status == .unauthorized)
                }
                #expect(try await api.post("/api/token/blacklist/", json: ["refresh": .string(first)]).code == "token_not_valid")
            }
        }
    }

    @Test func logoutWithASlidingBearerBlacklistsItAndRevocationsApply() async throws {
        try await TestDeployment.with(settings: ["sliding_tokens": true]) { deployment in
            try await deployment.testAdmin { admin in
                let api = admin.realm()
                let token = try await Self.obtain(api)
                let logout = try await api.send(.post, "/api/logout/", body: "{}", contentType: "application/json", bearer: token)
                #expect(logout.status == .resetContent)
                #expect(try await api.send(.get, "/api/me/", bearer: token).status == .unauthorized)

                let other = try await Self.obtain(api)
                #expect(try await admin.call(.post, "/tenants/demo/revocations", json: ["usernames": ["alice"]]).status == .ok)
                try await eventually { try await api.send(.get, "/api/me/", bearer: other).status == .unauthorized }
                #expect(try await api.post("/api/token/sliding/refresh/", json: ["token": .string(other)]).status == .unauthorized)

                // Switched off, the realm no longer takes sliding tokens as bearers.
                let fresh = try await Self.obtain(api)
                let off = try await admin.call(.patch, "/tenants/demo/environments/prod", json: ["settings": ["sliding_tokens": false]])
                #expect(off.status == .ok)
                try await eventually { try await api.send(.get, "/api/me/", bearer: fresh).status == .unauthorized }
            }
        }
    }
}
