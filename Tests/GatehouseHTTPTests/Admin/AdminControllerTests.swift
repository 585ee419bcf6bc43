import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import Testing

/// The admin API's keys and scopes, tenants and environments.
@Suite(.timeLimit(.minutes(5))) struct AdminControllerTests {
    @Test func withoutAValidKeyEveryRouteIs401AndAScopedKeyIs403OutsideItsTenant() async throws {
        try await TestDeployment.with { deployment in
            let scoped = try await deployment.adminKey(scopedTo: "demo")
            let revoked = try await AdminAPIKeyStore(database: deployment.database).create(name: "gone", tenantID: nil)
            #expect(try await AdminAPIKeyStore(database: deployment.database).revoke(id: #require(AdminAPIKeyStore.id(of: revoked))))
            try await deployment.testAdmin { admin in
                let forged = String(admin.key.dropLast(4)) + "AAAA"
                for key in ["", "nonsense", forged, revoked, "gh_\(String(repeating: "0", count: 32))_x"] {
                    let answer = try await admin.call(.get, "/tenants", key: key)
                    #expect(answer.status == .unauthorized && answer.code == "not_authenticated", "\(key)")
                }
                #expect(try await admin.call(.get, "/tenants/demo/users", key: scoped).status == .ok)
                #expect(try await admin.call(.patch, "/tenants/demo", json: ["name": "Demo"], key: scoped).status == .ok)
                for (method, path) in [
                    (HTTPMethodName.get, "/tenants"), (.post, "/tenants"), (.get, "/tenants/other"), (.get, "/tenants/other/users"),
                    (.get, "/tenants/nope"), (.post, "/tenants/other/revocations"), (.get, "/audit?tenant=other"),
                ] {
                    let answer = try await admin.call(method.method, path, json: method == .post ? ["slug": "x"] : nil, key: scoped)
                    #expect(answer.status == .forbidden && answer.code == "forbidden", "\(path)")
                }
            }
        }
    }

    /// Every route the router holds under `/admin/v1`, read from the router itself, so a
    /// route added later is covered without touching this test.
    @Test func everyAdminRouteIsAuthenticatedAndScopedByDefault() async throws {
        try await TestDeployment.with { deployment in
            let scoped = try await deployment.adminKey(scopedTo: "demo")
            let router = GatehouseApplication.makeRouter(tokens: deployment.tokens, admin: deployment.admin)
            let routes = router.routes.map { ($0.method, "\($0.path)") }.filter { $0.1.hasPrefix("/admin/v1/") }
            #expect(routes.count >= 20)
            try await deployment.testAdmin { admin in
                for (method, template) in routes {
                    let path = template.dropFirst("/admin/v1".count)
                        .replacingOccurrences(of: ":tenant", with: "other").replacingOccurrences(of: ":environment", with: "prod")
                        .replacingOccurrences(of: ":user", with: UUID().uuidString).replacingOccurrences(of: ":kid", with: "k")
                    let anonymous = try await admin.call(method, path, json: [:], key: "")
                    #expect(anonymous.status == .unauthorized && anonymous.code == "not_authenticated", "\(method) \(template)")
                    if template.contains(":tenant") {
                        let outside = try await admin.call(method, path, json: [:], key: scoped)
                        #expect(outside.status == .forbidden && outside.code == "forbidden", "\(method) \(template)")
                    }
                }
            }
        }
    }

    @Test func tenantsAreCreatedListedPagedRenamedAndDeletedWithEverythingTheyHold() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let created = try await admin.call(.post, "/tenants", json: ["slug": "acme", "name": "Acme", "environments": ["prod", "dev"]])
                #expect(created.status == .created)
                #expect(created["slug"] == "acme" && created["name"] == "Acme")
                #expect(created.json["environments"] == ["dev", "prod"])
                for environment in ["prod", "dev"] {
                    let keys = try await admin.call(.get, "/tenants/acme/environments/\(environment)/keys")
                    #expect(try keys.items.map { $0["state"] } == ["active"])
                }
                #expect(try await admin.call(.post, "/tenants", json: ["slug": "acme"]).code == "conflict")
                for (body, field) in [
                    (["slug": "Bad Slug"], "slug"), ([:], "slug"), (["slug": 7], "slug"), (["slug": "ok", "colour": "red"], "colour"),
                    (["slug": "ok", "environments": []], "environments"), (["slug": "ok", "environments": ["a", "a"]], "environments"),
                ] as [([String: JSONValue], String)] {
                    let answer = try await admin.call(.post, "/tenants", json: body)
                    #expect(answer.status == .badRequest && answer.json["fields"]?.objectValue?[field] != nil, "\(body): \(answer.json)")
                }
                #expect(try await admin.call(.get, "/tenants/ok").status == .notFound)

                let first = try await admin.call(.get, "/tenants?limit=2")
                #expect(try first.items.map { $0["slug"] } == ["acme", "demo"])
                let cursor = try #require(first["next_cursor"])
                let second = try await admin.call(.get, "/tenants?limit=2&cursor=\(cursor)")
                #expect(try second.items.map { $0["slug"] } == ["other"] && second.json["next_cursor"] == .null)
                #expect(try await admin.call(.get, "/tenants?limit=0").status == .badRequest)
                #expect(try await admin.call(.get, "/tenants?cursor=%25%25").status == .badRequest)

                #expect(try await admin.call(.patch, "/tenants/acme", json: ["name": "Acme Corp"])["name"] == "Acme Corp")
                #expect(try await admin.call(.get, "/tenants/acme")["name"] == "Acme Corp")

                // Deleting demo: its realms are gone, and with them alice's tokens.
                let (access, _) = try await admin.realm().login()
                #expect(try await admin.call(.delete, "/tenants/demo").status == .noContent)
                #expect(try await admin.realm().post("/api/token/verify/", json: ["token": .string(access)]).status == .notFound)
                #expect(try await admin.call(.get, "/tenants/demo").status == .notFound)
                let left = try await deployment.database.query(
                    "SELECT count(*) FROM signing_keys k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = 'demo'"
                )
                #expect(try left.single(Int.self) == 0)
            }
        }
    }

    @Test func environmentsValidateTheirSettingsByNameAndMergeChanges() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let created = try await admin.call(
                    .post,
                    "/tenants/demo/environments",
                    json: ["slug": "qa", "settings": ["access_token_lifetime": 60, "audience": "api"]]
                )
                #expect(created.status == .created)
                #expect(created["issuer"] == "http://gatehouse.test/t/demo/qa")
                #expect(created.json["settings"]?.objectValue?["access_token_lifetime"] == 60)
                #expect(created.json["settings"]?.objectValue?["rotate_refresh_tokens"] == true)
                #expect(try await admin.call(.post, "/tenants/demo/environments", json: ["slug": "qa"]).code == "conflict")

                for (settings, field) in [
                    (["leeway": -1], "settings.leeway"), (["colour": "red"], "settings.colour"),
                    (["throttle_anon": "lots"], "settings.throttle_anon"), (["algorithm": "none"], "settings.algorithm"),
                    (["rotate_refresh_tokens": "yes"], "settings.rotate_refresh_tokens"),
                ] as [([String: JSONValue], String)] {
                    let answer = try await admin.call(.patch, "/tenants/demo/environments/qa", json: ["settings": .object(settings)])
                    #expect(answer.status == .badRequest && answer.json["fields"]?.objectValue?[field] != nil, "\(settings): \(answer.json)")
                }
                let patched = try await admin.call(.patch, "/tenants/demo/environments/qa", json: ["settings": ["leeway": 5, "throttle_user": nil]])
                let settings = try #require(patched.json["settings"]?.objectValue)
                #expect(settings["leeway"] == 5 && settings["throttle_user"] == .null && settings["access_token_lifetime"] == 60)
                #expect(try await admin.call(.get, "/tenants/demo/environments/qa").json["settings"] == .object(settings))
                #expect(try await admin.call(.get, "/tenants/demo/environments").items.map { $0["slug"] } == ["prod", "qa", "staging"])
                #expect(try await admin.call(.get, "/tenants/demo/environments/nope").status == .notFound)

                // Deleting staging ends its tokens and nothing else.
                let (staging, _) = try await admin.realm("demo", "staging").login()
                let (prod, _) = try await admin.realm().login()
                #expect(try await admin.call(.delete, "/tenants/demo/environments/staging").status == .noContent)
                #expect(try await admin.realm("demo", "staging").send(.get, "/api/me/", bearer: staging).status == .notFound)
                #expect(try await admin.realm().send(.get, "/api/me/", bearer: prod).status == .ok)
                #expect(try await admin.call(.delete, "/tenants/demo/environments/staging").status == .notFound)
                #expect(try await admin.call(.get, "/tenants/demo/environments").items.map { $0["slug"] } == ["prod", "qa"])

                // The realm takes the new settings: a token from qa lives 60 seconds.
                _ = try await admin.call(.post, "/tenants/demo/users", json: ["username": "carol", "password": "pw"])
                let login = try await admin.realm("demo", "qa").post("/api/token/", json: ["username": "carol", "password": "pw"])
                let claims = TokenInspection.claims(try #require(login["access"]))
                #expect(claims["exp"]!.numberValue! - claims["iat"]!.numberValue!.rounded(.down) == 60)
                #expect(claims["aud"] == "api")
            }
        }
    }

    @Test func malformedBodiesAnswer4xxAndNeverChangeAnything() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                var raw = admin.http
                raw.base = "/admin/v1"
                for (body, type, status) in [
                    ("{", "application/json", 400), ("[1]", "application/json", 400), ("slug=x", "application/x-www-form-urlencoded", 415),
                    (String(repeating: "x", count: 70_000), "application/json", 413),
                ] {
                    let answer = try await raw.send(.post, "/tenants", body: body, contentType: type, bearer: admin.key)
                    #expect(answer.status.code == status, "\(body.prefix(10))")
                }
                #expect(try await admin.call(.get, "/tenants").items.count == 2)
            }
        }
    }
}

/// The methods the table-driven tests use.
enum HTTPMethodName {
    case get, post

    var method: HTTPRequest.Method {
        switch self {
        case .get: .get
        case .post: .post
        }
    }
}
