import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// The audit log: admin actions and security events, filtered and paged, never secrets.
@Suite(.timeLimit(.minutes(5))) struct AdminAuditRoutesTests {
    @Test func adminActionsAndSecurityEventsAreRecordedWithoutSecrets() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                _ = try await admin.call(.post, "/tenants/demo/users", json: ["username": "bob", "password": "hunter2-secret"])
                let bob = try #require(try await admin.call(.get, "/tenants/demo/users?username=bob").items.first?["id"]?.stringValue)
                _ = try await admin.call(.patch, "/tenants/demo/users/\(bob)", json: ["password": "another-secret"])
                _ = try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "immediate"])
                // A burst of failed logins, and a replayed refresh token. Eleven: however a
                // minute boundary splits them, exactly one window holds more than five.
                for _ in 0..<11 {
                    _ = try await admin.realm().post("/api/token/", json: ["username": "alice", "password": "wrong-guess"])
                }
                let (_, refresh) = try await admin.realm().login()
                _ = try await admin.realm().post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                _ = try await admin.realm().post("/api/token/refresh/", json: ["refresh": .string(refresh)])

                let log = try await admin.call(.get, "/audit?tenant=demo")
                let actions = try log.items.compactMap { $0["action"]?.stringValue }
                #expect(actions == ["refresh.reuse", "login.failure_burst", "key.rotate", "user.update", "user.create"], "\(actions)")
                let burst = try #require(log.items.first { $0["action"] == "login.failure_burst" })
                #expect(burst["target"] == "alice" && burst["actor"] == "system")
                let update = try #require(log.items.first { $0["action"] == "user.update" })
                #expect(update["actor"]?.stringValue?.hasPrefix("admin_key:") == true)
                #expect(update["details"]?.objectValue?["fields"] == ["password"])
                let text = JSONValue.object(log.json).jsonText
                for secret in ["hunter2-secret", "another-secret", "wrong-guess", refresh, admin.key] {
                    #expect(!text.contains(secret))
                }
                let stored = try await deployment.database.query("SELECT string_agg(details::text || coalesce(target, ''), ' ') FROM audit_log")
                    .single(String.self)
                #expect(!stored.contains("secret") && !stored.contains("wrong-guess"))

                // Filters and pages.
                #expect(try await admin.call(.get, "/audit?tenant=demo&action=key.rotate").items.count == 1)
                #expect(try await admin.call(.get, "/audit?tenant=other").items.isEmpty)
                let future = try await admin.call(.get, "/audit?tenant=demo&since=2999-01-01T00:00:00Z")
                #expect(try future.items.isEmpty)
                var collected: [String] = []
                var cursor: String?
                repeat {
                    let page = try await admin.call(.get, "/audit?tenant=demo&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    collected += try page.items.compactMap { $0["action"]?.stringValue }
                    cursor = page["next_cursor"]
                } while cursor != nil
                #expect(collected == actions)
                #expect(try await admin.call(.get, "/audit?since=yesterday").status == .badRequest)

                // A scoped key sees its own tenant without naming it (its creation included).
                let scoped = try await deployment.adminKey(scopedTo: "demo")
                let own = try await admin.call(.get, "/audit", key: scoped).items.compactMap { $0["action"]?.stringValue }
                #expect(own == ["admin_key.create"] + actions)
            }
        }
    }
}
