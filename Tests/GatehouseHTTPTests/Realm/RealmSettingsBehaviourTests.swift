import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Settings whose effect had no test: rotation without blacklisting, `update_last_login`
/// off, a replay once `reuse_grace` has passed, and custom `auth_header_types`
/// (signed tokens with wrong claims are in ``ForgedTokenTests``).
@Suite(.timeLimit(.minutes(5))) struct RealmSettingsBehaviourTests {
    @Test func rotationWithoutBlacklistingKeepsTheOldTokenUsable() async throws {
        try await TestDeployment.with(settings: ["blacklist_after_rotation": false]) { deployment in
            try await deployment.test { api in
                let first = try await api.login().refresh
                let rotated = try await api.post("/api/token/refresh/", json: ["refresh": .string(first)])
                let second = try #require(rotated["refresh"])
                #expect(second != first)
                // Not blacklisted: the old one refreshes again, and so does the new one.
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(first)]).status == .ok)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(second)]).status == .ok)
            }
        }
    }

    @Test func withUpdateLastLoginOffALoginLeavesLastLoginAlone() async throws {
        try await TestDeployment.with(settings: ["update_last_login": false]) { deployment in
            try await deployment.test { api in
                _ = try await api.login()
            }
            let lastLogin = try await deployment.database.query("SELECT last_login FROM users WHERE username = 'alice'").single(Date?.self)
            #expect(lastLogin == nil)
        }
    }

    @Test func aReplayAfterTheGracePeriodRevokesTheFamily() async throws {
        try await TestDeployment.with(settings: ["reuse_grace": 60]) { deployment in
            try await deployment.test { api in
                let first = try await api.login().refresh
                let second = try #require(try await api.post("/api/token/refresh/", json: ["refresh": .string(first)])["refresh"])
                // The rotation happened 61 s ago, by the database's clock.
                try await deployment.database.query(
                    "UPDATE refresh_tokens SET revoked_at = revoked_at - interval '61 seconds' WHERE revoked_reason = 'rotated'"
                )
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(first)]).status == .unauthorized)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(second)]).status == .unauthorized)
                let reuse = try await deployment.database.query("SELECT count(*) FROM refresh_tokens WHERE revoked_reason = 'reuse'").single(Int.self)
                #expect(reuse == 1)
            }
        }
    }

    @Test func customAuthHeaderTypesReplaceBearer() async throws {
        try await TestDeployment.with(settings: ["auth_header_types": ["JWT", "Token"]]) { deployment in
            try await deployment.test { api in
                let access = try await api.login().access
                #expect(try await api.send(.get, "/api/me/", authorization: "JWT \(access)").status == .ok)
                #expect(try await api.send(.get, "/api/me/", authorization: "Token \(access)").status == .ok)
                let bearer = try await api.send(.get, "/api/me/", bearer: access)
                #expect(bearer.status == .unauthorized && bearer.code == "not_authenticated")
            }
        }
    }
}
