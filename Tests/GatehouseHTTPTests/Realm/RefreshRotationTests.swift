import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite(.timeLimit(.minutes(5))) struct RefreshRotationTests {
    @Test func ofFiftyConcurrentRefreshesOfOneTokenExactlyOneWins() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let refresh = try await api.login().refresh
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).status }
                    }
                    var statuses: [HTTPResponse.Status] = []
                    for try await status in group { statuses.append(status) }
                    return statuses
                }
                #expect(statuses.filter { $0 == .ok }.count == 1)
                #expect(statuses.filter { $0 == .unauthorized }.count == 49)
            }
        }
    }

    /// Over several generations: a replay of a middle one revokes the newest, three rotations
    /// below the first, and nothing of the family stays usable.
    @Test func aReplayedRefreshTokenRevokesItsWholeFamily() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                var chain = [try await api.login().refresh]
                for _ in 0..<3 {
                    chain.append(try #require(try await api.post("/api/token/refresh/", json: ["refresh": .string(chain.last!)])["refresh"]))
                }
                let unrelated = try await api.login().refresh

                let replay = try await api.post("/api/token/refresh/", json: ["refresh": .string(chain[1])])
                #expect(replay.status == .unauthorized && replay.code == "token_not_valid")
                // The thief's and the owner's descendants die with it; other logins live.
                for token in chain {
                    #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(token)]).status == .unauthorized)
                }
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(unrelated)]).status == .ok)
            }
            let (outstanding, reused) = try await deployment.database.query(
                """
                SELECT count(*) FILTER (WHERE revoked_at IS NULL), count(*) FILTER (WHERE revoked_reason = 'reuse')
                FROM refresh_tokens WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE revoked_reason = 'reuse')
                """
            ).single((Int, Int).self)
            #expect(outstanding == 0 && reused == 1)
        }
    }

    @Test func aReplayWithinTheGracePeriodDoesNotRevokeTheFamily() async throws {
        try await TestDeployment.with(settings: ["reuse_grace": 60]) { deployment in
            try await deployment.test { api in
                let first = try await api.login().refresh
                let second = try #require(try await api.post("/api/token/refresh/", json: ["refresh": .string(first)])["refresh"])
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(first)]).status == .unauthorized)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(second)]).status == .ok)
            }
        }
    }

    @Test func withoutRotationARefreshReturnsOnlyAnAccessToken() async throws {
        try await TestDeployment.with(settings: ["rotate_refresh_tokens": false]) { deployment in
            try await deployment.test { api in
                let refresh = try await api.login().refresh
                for _ in 0..<2 {
                    let answer = try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                    #expect(answer.status == .ok && answer["access"] != nil && answer["refresh"] == nil)
                }
            }
        }
    }

    @Test func anInactiveOrRevokedUserLosesEveryToken() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let (access, refresh) = try await api.login()
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                try await deployment.database.query("UPDATE users SET is_active = false WHERE username = 'alice'")
                // The instance's cache learns of the change through PostgreSQL's notification.
                try await eventually {
                    try await api.post("/api/token/verify/", json: ["token": .string(access)]).status == .unauthorized
                }
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .unauthorized)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).status == .unauthorized)
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                #expect(login.status == .unauthorized && login.code == "no_active_account")

                try await deployment.database.query("UPDATE users SET is_active = true, revoked_before = clock_timestamp() WHERE username = 'alice'")
                // A login after the revocation instant works; the token from before does not.
                let fresh = try await api.login()
                try await eventually { try await api.send(.get, "/api/me/", bearer: fresh.access).status == .ok }
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .unauthorized)
            }
        }
    }

    @Test func aDjangoHashLogsInAndIsRehashed() async throws {
        try await TestDeployment.with { deployment in
            let demo = try await deployment.tenantID("demo")
            let django = "pbkdf2_sha256$1000$seasalt$+hs9qSCcGyNSGDNojIEbomuX9WI/mzTF5yfwAXqyKOo="
            _ = try await deployment.users.create(tenantID: demo, username: "imported", passwordHash: django)
            try await deployment.test { api in
                let wrong = try await api.post("/api/token/", json: ["username": "imported", "password": "Secret"])
                #expect(wrong.status == .unauthorized)
                _ = try await api.login("imported", "secret")
                let stored = try await deployment.database.query(
                    "SELECT password_hash, last_login IS NOT NULL FROM users WHERE username = 'imported'"
                ).single((String, Bool).self)
                #expect(stored.0.hasPrefix("$argon2id$"))
                #expect(stored.1)
                _ = try await api.login("imported", "secret")
            }
        }
    }
}
