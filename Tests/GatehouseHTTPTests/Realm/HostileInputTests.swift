import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Input PostgreSQL cannot store, or that is larger than anything real: a 400 naming the
/// field, never a 500, and nothing kept.
@Suite(.timeLimit(.minutes(5))) struct HostileInputTests {
    @Test func aNulByteInALoginIsA400NamingTheField() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                for (field, body) in [
                    ("username", #"{"username": "a\u0000", "password": "x"}"#), ("password", #"{"username": "alice", "password": "se\u0000cret"}"#),
                ] {
                    let answer = try await api.send(.post, "/api/token/", body: body, contentType: "application/json")
                    #expect(answer.status == .badRequest && answer.code == "invalid_request", "\(answer.json)")
                    #expect(answer.json["fields"]?.objectValue?[field] != nil, "\(answer.json)")
                }
                let form = try await api.send(
                    .post,
                    "/api/token/",
                    body: "username=a%00&password=x",
                    contentType: "application/x-www-form-urlencoded"
                )
                #expect(form.status == .badRequest && form.json["fields"]?.objectValue?["username"] != nil)
                let refresh = try await api.send(.post, "/api/token/refresh/", body: #"{"refresh": "a\u0000b"}"#, contentType: "application/json")
                #expect(refresh.status == .badRequest && refresh.json["fields"]?.objectValue?["refresh"] != nil)
                // A NUL in the realm's path is an unknown realm.
                var raw = api
                raw.base = ""
                #expect(try await raw.send(.get, "/t/de%00mo/prod/.well-known/jwks.json").status == .notFound)
            }
        }
    }

    @Test func anAttackerSizedUsernameIsRefusedBeforeAnyLookupAndLeavesNoTrace() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let huge = String(repeating: "u", count: 20_000)
                for _ in 0..<8 {
                    let answer = try await api.post("/api/token/", json: ["username": .string(huge), "password": "x"])
                    #expect(answer.status == .badRequest, "\(answer.json)")
                    #expect(answer.json["fields"]?.objectValue?["username"] != nil)
                }
                // 151 scalars is one too many; 150 is a username like any other (a wrong one here).
                #expect(
                    try await api.post("/api/token/", json: ["username": .string(String(repeating: "é", count: 151)), "password": "x"]).status
                        == .badRequest
                )
                #expect(
                    try await api.post("/api/token/", json: ["username": .string(String(repeating: "é", count: 150)), "password": "x"]).code
                        == "no_active_account"
                )
            }
            // Eight failures would be a burst if they had counted: nothing was recorded.
            let longest = try await deployment.database.query("SELECT coalesce(max(length(coalesce(target, ''))), 0)::int8 FROM audit_log").single(
                Int.self
            )
            #expect(longest <= 150)
        }
    }

    @Test func aNulByteAnywhereInAnAdminRequestIsA400NamingTheField() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let cases: [(String, [String: JSONValue], String)] = [
                    ("/tenants/demo/users", ["username": "bad\u{0}name", "password": "pw"], "username"),
                    ("/tenants/demo/users", ["username": "bob", "password": "pw", "claims": ["team": "a\u{0}"]], "claims"),
                    ("/tenants/demo/users", ["username": "bob", "password": "pw", "claims": ["te\u{0}am": "a"]], "claims"),
                    ("/tenants/demo/users", ["username": "bob", "password": "pw", "role": "ad\u{0}min"], "role"),
                    ("/tenants", ["slug": "x\u{0}"], "slug"),
                    ("/tenants/demo/revocations", ["usernames": ["alice", "a\u{0}"]], "usernames"),
                ]
                for (path, body, field) in cases {
                    let answer = try await admin.call(.post, path, json: body)
                    #expect(answer.status == .badRequest, "\(path) \(field): \(answer.json)")
                    #expect(answer.json["fields"]?.objectValue?[field] != nil, "\(path) \(field): \(answer.json)")
                }
                let patch = try await admin.call(.patch, "/tenants/demo/environments/prod", json: ["settings": ["audience": "a\u{0}"]])
                #expect(patch.status == .badRequest && patch.json["fields"]?.objectValue?["settings"] != nil)
                for path in ["/tenants/demo/users?username=a%00", "/audit?action=x%00", "/tenants?cursor=%00"] {
                    let answer = try await admin.call(.get, path)
                    #expect(answer.status == .badRequest, "\(path): \(answer.json)")
                }
                // Path segments are not percent-decoded: no such tenant.
                #expect(try await admin.call(.get, "/tenants/de%00mo").code == "not_found")
                // Nothing was written: alice is still the only user.
                #expect(try await admin.call(.get, "/tenants/demo/users").items.count == 1)
            }
        }
    }

    @Test func tokenAnswersAreNeverCached() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                let access = try #require(login["access"])
                let refresh = try #require(login["refresh"])
                let refreshed = try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                for answer in [login, refreshed] {
                    #expect(answer.status == .ok)
                    #expect(answer.headers[.cacheControl] == "no-store")
                    #expect(answer.headers[HTTPField.Name("Pragma")!] == "no-cache")
                }
            }
        }
    }
}
