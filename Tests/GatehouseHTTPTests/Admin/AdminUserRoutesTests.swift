import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Users through the admin API: pages, filters, and the changes that revoke every token.
@Suite(.timeLimit(.minutes(5))) struct AdminUserRoutesTests {
    @Test func usersAreCreatedListedByCursorFilteredAndRead() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let created = try await admin.call(
                    .post,
                    "/tenants/demo/users",
                    json: ["username": "bob", "password": "pw", "role": "admin", "claims": ["team": "blue"], "is_active": true]
                )
                #expect(created.status == .created)
                #expect(created["username"] == "bob" && created["role"] == "admin" && created.json["is_active"] == true)
                #expect(created.json["claims"] == ["team": "blue"] && created.json["password_hash"] == nil && created.json["password"] == nil)
                #expect(try await admin.call(.post, "/tenants/demo/users", json: ["username": "bob", "password": "x"]).code == "conflict")
                for (body, field) in [
                    (["password": "x"], "username"), (["username": "x"], "password"), (["username": "x", "password": ""], "password"),
                    (["username": "x", "password": "p", "claims": [1]], "claims"),
                    (["username": "x", "password": "p", "is_active": "no"], "is_active"),
                    (["username": "x", "password": "p", "role": ""], "role"), (["username": "x", "password": "p", "admin": true], "admin"),
                    (["username": .string(String(repeating: "u", count: 151)), "password": "p"], "username"),
                ] as [([String: JSONValue], String)] {
                    let answer = try await admin.call(.post, "/tenants/demo/users", json: body)
                    #expect(answer.status == .badRequest && answer.json["fields"]?.objectValue?[field] != nil, "\(body): \(answer.json)")
                }
                for name in ["dave", "erin", "frank"] {
                    _ = try await admin.call(.post, "/tenants/demo/users", json: ["username": .string(name), "password": "pw"])
                }
                var seen: [String] = []
                var cursor: String?
                repeat {
                    let page = try await admin.call(.get, "/tenants/demo/users?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    seen += try page.items.compactMap { $0["username"]?.stringValue }
                    cursor = page["next_cursor"]
                } while cursor != nil
                #expect(seen == ["alice", "bob", "dave", "erin", "frank"])
                let filtered = try await admin.call(.get, "/tenants/demo/users?username=erin")
                #expect(try filtered.items.map { $0["username"] } == ["erin"])
                let id = try #require(created["id"])
                #expect(try await admin.call(.get, "/tenants/demo/users/\(id)")["username"] == "bob")
                #expect(try await admin.call(.get, "/tenants/other/users/\(id)").status == .notFound)
                #expect(try await admin.call(.get, "/tenants/demo/users/not-a-uuid").status == .notFound)
                #expect(try await admin.call(.get, "/tenants/other/users").items.isEmpty)

                // bob logs in with what the admin API gave him, role and claims included.
                let login = try await admin.realm().post("/api/token/", json: ["username": "bob", "password": "pw"])
                let claims = TokenInspection.claims(try #require(login["access"]))
                #expect(claims["role"] == "admin" && claims["team"] == "blue")
                // The admin API writes ids as tokens do, so scripts can compare them.
                #expect(claims["user_id"] == created.json["id"] && claims["sub"] == created.json["id"])
            }
        }
    }

    /// Each of a new password, deactivation and delete revokes the user's tokens at once.
    /// Token claims and answers are JSON written by hand: text that needs escaping comes
    /// back exactly, through the token, `me` and the token answers' JSON.
    @Test func namesAndClaimsThatNeedEscapingComeBackExactly() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let username = "zoë \"q\" \\ / \t🚀"
                let claims: [String: JSONValue] = [
                    "note": "line\nbreak \"q\" \\ \u{1}\u{8}", "nested": ["list": [1, .number(0.5), true, nil, "é"]], "big": .number(1e300),
                    "\"odd\" key": "x",
                ]
                let created = try await admin.call(
                    .post,
                    "/tenants/demo/users",
                    json: ["username": .string(username), "password": "pw", "role": "r\"1", "claims": .object(claims)]
                )
                #expect(created.status == .created, "\(created.json)")
                let login = try await admin.realm().post("/api/token/", json: ["username": .string(username), "password": "pw"])
                #expect(login.status == .ok && login.headers[.contentType] == "application/json; charset=utf-8")
                #expect(Set(login.json.keys) == ["access", "refresh"])
                let access = try #require(login["access"])
                let carried = TokenInspection.claims(access)
                #expect(carried["username"] == .string(username) && carried["role"] == "r\"1")
                for (name, value) in claims { #expect(carried[name] == value, "\(name)") }
                let me = try await admin.realm().send(.get, "/api/me/", bearer: access)
                #expect(me.headers[.contentType] == "application/json; charset=utf-8")
                #expect(me.json == ["id": .string(try #require(created["id"])), "username": .string(username), "role": "r\"1"])
                let refreshed = try await admin.realm().post("/api/token/refresh/", json: ["refresh": .string(try #require(login["refresh"]))])
                #expect(refreshed.status == .ok && Set(refreshed.json.keys) == ["access", "refresh"])
                #expect(TokenInspection.claims(try #require(refreshed["access"]))["note"] == claims["note"])
            }
        }
    }

    @Test(arguments: ["password", "deactivate", "delete"])
    func changesThatRevokeKillEveryTokenOfTheUserAtOnce(change: String) async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let realm = admin.realm()
                let (access, refresh) = try await realm.login()
                let (staging, _) = try await admin.realm("demo", "staging").login()
                #expect(try await realm.send(.get, "/api/me/", bearer: access).status == .ok)
                let alice = try #require(try await admin.call(.get, "/tenants/demo/users?username=alice").items.first?["id"]?.stringValue)
                switch change {
                case "password":
                    #expect(try await admin.call(.patch, "/tenants/demo/users/\(alice)", json: ["password": "new secret"]).status == .ok)
                case "deactivate":
                    let answer = try await admin.call(.patch, "/tenants/demo/users/\(alice)", json: ["is_active": false])
                    #expect(answer.json["is_active"] == false && answer.json["revoked_before"] != .null)
                default:
                    #expect(try await admin.call(.delete, "/tenants/demo/users/\(alice)").status == .noContent)
                    #expect(try await admin.call(.get, "/tenants/demo/users/\(alice)").status == .notFound)
                }
                // No waiting: the instance that made the change drops its cache at once.
                #expect(try await realm.send(.get, "/api/me/", bearer: access).code == "token_not_valid")
                #expect(try await realm.post("/api/token/verify/", json: ["token": .string(access)]).code == "token_not_valid")
                #expect(try await admin.realm("demo", "staging").send(.get, "/api/me/", bearer: staging).status == .unauthorized)
                #expect(try await realm.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).code == "token_not_valid")
                if change != "delete" {
                    let outstanding = try await deployment.database.query(
                        "SELECT count(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE u.username = 'alice' AND r.revoked_at IS NULL"
                    ).single(Int.self)
                    #expect(outstanding == 0)
                }
                if change == "password" {
                    let (fresh, _) = try await realm.login("alice", "new secret")
                    #expect(try await realm.send(.get, "/api/me/", bearer: fresh).status == .ok)
                    #expect(try await realm.post("/api/token/", json: ["username": "alice", "password": "secret"]).code == "no_active_account")
                }
            }
        }
    }

    @Test func aRoleChangeKeepsTokensAndShowsInMe() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let (access, _) = try await admin.realm().login()
                let alice = try #require(try await admin.call(.get, "/tenants/demo/users?username=alice").items.first?["id"]?.stringValue)
                let patched = try await admin.call(.patch, "/tenants/demo/users/\(alice)", json: ["role": "auditor", "claims": ["k": 1]])
                #expect(patched["role"] == "auditor" && patched.json["revoked_before"] == .null)
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: access)["role"] == "auditor")
                #expect(try await admin.call(.patch, "/tenants/demo/users/\(alice)", json: ["username": "x"]).status == .badRequest)
            }
        }
    }
}
