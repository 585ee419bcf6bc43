import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Bulk revocation: exact counts, unknown names reported, one environment or all.
@Suite(.timeLimit(.minutes(5))) struct AdminRevocationRoutesTests {
    /// Imports `count` users `u0...` with one pre-hashed password and gives each two
    /// outstanding refresh tokens in demo/prod, straight in the database.
    static func seed(_ count: Int, _ deployment: TestDeployment, _ admin: AdminTestClient) async throws {
        let hash = try await TestDeployment.hasher().hash("pw")
        let lines = (0..<count).map { #"{"username": "u\#($0)", "password_hash": "\#(hash)"}"# }.joined(separator: "\n")
        var raw = admin.http
        raw.base = "/admin/v1"
        let report = try await raw.send(.post, "/tenants/demo/users/import", body: lines, contentType: "application/x-ndjson", bearer: admin.key)
        #expect(report.json["created"] == .number(Double(count)), "\(report.json)")
        let realm = try await deployment.realm()
        try await deployment.database.query(
            """
            INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
            SELECT u.tenant_id, j.jti, \(realm.environmentID), u.id, j.jti, \(realm.ring.active.kid), now(), now() + interval '1 day'
            FROM users u CROSS JOIN LATERAL (SELECT gen_random_uuid() AS jti, u.id FROM generate_series(1, 2)) j
            WHERE u.tenant_id = \(realm.tenantID) AND u.username LIKE 'u%'
            """
        )
    }

    @Test func revokingTenThousandUsersByNameAnswersExactCounts() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                try await Self.seed(10_000, deployment, admin)
                let (access, refresh) = try await admin.realm().login("u42", "pw")
                let names: [JSONValue] = (0..<10_000).map { .string("u\($0)") } + ["ghost", "nobody"]
                let answer = try await admin.call(.post, "/tenants/demo/revocations", json: ["usernames": .array(names)])
                #expect(answer.status == .ok)
                #expect(answer.json["users"] == 10_000 && answer.json["refresh_tokens_revoked"] == 20_001)
                #expect(answer.json["unknown_usernames"] == ["ghost", "nobody"] && answer.json["unknown_user_ids"] == [])
                for path in ["/api/token/refresh/", "/api/token/verify/", "/api/token/blacklist/"] {
                    let field = path.contains("refresh") || path.contains("blacklist") ? "refresh" : "token"
                    #expect(try await admin.realm().post(path, json: [field: .string(refresh)]).code == "token_not_valid", "\(path)")
                }
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: access).code == "token_not_valid")
                #expect(try await admin.realm().login("alice", "secret").access.isEmpty == false)
                // Again: the same users, nothing left to blacklist.
                let again = try await admin.call(.post, "/tenants/demo/revocations", json: ["usernames": .array(names)])
                #expect(again.json["users"] == 10_000 && again.json["refresh_tokens_revoked"] == 0)
            }
        }
    }

    @Test func revocationByIdInOneEnvironmentLeavesTheOthers() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let (prod, prodRefresh) = try await admin.realm().login()
                let (staging, _) = try await admin.realm("demo", "staging").login()
                let alice = try #require(try await admin.call(.get, "/tenants/demo/users?username=alice").items.first?["id"]?.stringValue)
                let answer = try await admin.call(
                    .post,
                    "/tenants/demo/revocations",
                    json: ["user_ids": [.string(alice), "not-an-id", "00000000-0000-0000-0000-000000000000"], "environment": "prod"]
                )
                #expect(answer.json["users"] == 1 && answer.json["refresh_tokens_revoked"] == 1)
                #expect(answer.json["unknown_user_ids"] == ["not-an-id", "00000000-0000-0000-0000-000000000000"])
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: prod).status == .unauthorized)
                #expect(try await admin.realm().post("/api/token/refresh/", json: ["refresh": .string(prodRefresh)]).status == .unauthorized)
                #expect(try await admin.realm("demo", "staging").send(.get, "/api/me/", bearer: staging).status == .ok)
                // A new login in prod works again.
                let (fresh, _) = try await admin.realm().login()
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: fresh).status == .ok)
            }
        }
    }

    @Test func allUsersRevokesEveryTokenOfTheTenantAndNoOtherTenant() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                _ = try await admin.call(.post, "/tenants/other/users", json: ["username": "olga", "password": "pw"])
                let (olga, _) = try await admin.realm("other", "prod").login("olga", "pw")
                let (access, _) = try await admin.realm().login()
                _ = try await admin.realm().login()
                let answer = try await admin.call(.post, "/tenants/demo/revocations", json: ["all_users": true])
                #expect(answer.json["users"] == 1 && answer.json["refresh_tokens_revoked"] == 2)
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: access).status == .unauthorized)
                #expect(try await admin.realm("other", "prod").send(.get, "/api/me/", bearer: olga).status == .ok)
                let (fresh, _) = try await admin.realm().login()
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: fresh).status == .ok)
            }
        }
    }

    @Test func aRevocationNamesExactlyOneSelector() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                for body in [
                    [:], ["usernames": ["a"], "all_users": true], ["all_users": false], ["usernames": "alice"], ["user_ids": [1]],
                    ["usernames": ["a"], "environment": "nope"],
                ] as [[String: JSONValue]] {
                    let answer = try await admin.call(.post, "/tenants/demo/revocations", json: body)
                    #expect(answer.status == .badRequest || answer.status == .notFound, "\(body): \(answer.json)")
                }
                let tooMany = JSONValue.array((0...100_000).map { _ in "x" })
                #expect(try await admin.call(.post, "/tenants/demo/revocations", json: ["usernames": tooMany]).status.code >= 400)
            }
        }
    }
}
