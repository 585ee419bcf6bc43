import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// RFC 7662 introspection and RFC 7009 revocation under each realm.
@Suite(.timeLimit(.minutes(5))) struct OAuthControllerTests {
    static func introspect(_ api: RealmTestClient, _ token: String, key: String?) async throws -> Answer {
        try await api.send(
            .post,
            "/oauth/introspect",
            body: "token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            contentType: "application/x-www-form-urlencoded",
            bearer: key
        )
    }

    static func revoke(_ api: RealmTestClient, _ token: String) async throws -> Answer {
        try await api.send(
            .post,
            "/oauth/revoke",
            body: "token=\(token)&token_type_hint=refresh_token",
            contentType: "application/x-www-form-urlencoded"
        )
    }

    @Test func anActiveAccessTokenIsDescribedAndEverythingElseIsExactlyInactive() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let api = admin.realm()
                let (access, refresh) = try await api.login()
                let answer = try await Self.introspect(api, access, key: admin.key)
                #expect(answer.status == .ok && answer.headers[.cacheControl] == "no-store")
                let claims = TokenInspection.claims(access)
                #expect(answer.json["active"] == true && answer.json["token_type"] == "access" && answer.json["username"] == "alice")
                for name in ["sub", "exp", "iat", "iss", "jti"] {
                    #expect(answer.json[name] == claims[name], "\(name): \(answer.json)")
                }
                #expect(Set(answer.json.keys) == ["active", "sub", "exp", "iat", "iss", "jti", "token_type", "username"])
                let refreshAnswer = try await Self.introspect(api, refresh, key: admin.key)
                #expect(refreshAnswer.json["active"] == true && refreshAnswer.json["token_type"] == "refresh")

                // Forged, garbage, another realm's: {"active": false} and nothing else.
                // One signature character changed (appending "AA" in place of the last two
                // left the token as it was when it ended in "AA").
                var forged = Array(access)
                let position = forged.lastIndex(of: ".")! + 5
                forged[position] = forged[position] == "A" ? "B" : "A"
                for token in [String(forged), "garbage", String(repeating: "a.", count: 3)] {
                    let inactive = try await Self.introspect(api, token, key: admin.key)
                    #expect(inactive.status == .ok && inactive.json == ["active": false], "\(token): \(inactive.json)")
                }
                let staging = try await Self.introspect(admin.realm("demo", "staging"), access, key: admin.key)
                #expect(staging.json == ["active": false])

                // Revocations a bare signature check cannot see.
                #expect(try await api.post("/api/token/blacklist/", json: ["refresh": .string(refresh)]).status == .ok)
                #expect(try await Self.introspect(api, refresh, key: admin.key).json == ["active": false])
                let revoked = try await admin.call(.post, "/tenants/demo/revocations", json: ["usernames": ["alice"]])
                #expect(revoked.status == .ok, "\(revoked.json)")
                try await eventually { try await Self.introspect(api, access, key: admin.key).json == ["active": false] }
            }
        }
    }

    @Test func introspectionNeedsAnAdminKeyThatReachesTheTenant() async throws {
        try await TestDeployment.with { deployment in
            let scopedElsewhere = try await deployment.adminKey(scopedTo: "other")
            let scopedHere = try await deployment.adminKey(scopedTo: "demo")
            try await deployment.test { api in
                let (access, _) = try await api.login()
                let anonymous = try await Self.introspect(api, access, key: nil)
                #expect(anonymous.status == .unauthorized && anonymous.code == "not_authenticated")
                #expect(anonymous.headers[.wwwAuthenticate] != nil)
                #expect(try await Self.introspect(api, access, key: "gh_nope_nope").status == .unauthorized)
                let elsewhere = try await Self.introspect(api, access, key: scopedElsewhere)
                #expect(elsewhere.status == .forbidden && elsewhere.code == "forbidden")
                #expect(try await Self.introspect(api, access, key: scopedHere).json["active"] == true)
                let missing = try await api.send(
                    .post,
                    "/oauth/introspect",
                    body: "nothing=here",
                    contentType: "application/x-www-form-urlencoded",
                    bearer: scopedHere
                )
                #expect(missing.status == .badRequest && missing.code == "invalid_request" && missing["error"] == "invalid_request")
            }
        }
    }

    @Test func revocationBlacklistsARefreshTokenAndAnswers200ForAnythingElseButAccessTokens() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let (access, refresh) = try await api.login()
                let first = try await Self.revoke(api, refresh)
                #expect(first.status == .ok && first.headers[.cacheControl] == "no-store")
                let refused = try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                #expect(refused.status == .unauthorized && refused.code == "token_not_valid")
                // Already revoked, unknown, garbage: 200 all the same (RFC 7009 §2.2).
                for token in [refresh, "garbage", "a.b.c"] {
                    #expect(try await Self.revoke(api, token).status == .ok, "\(token)")
                }
                let unsupported = try await Self.revoke(api, access)
                #expect(unsupported.status == .badRequest && unsupported["error"] == "unsupported_token_type")
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                let empty = try await api.send(.post, "/oauth/revoke", body: "", contentType: "application/x-www-form-urlencoded")
                #expect(empty.status == .badRequest && empty["error"] == "invalid_request")
            }
        }
    }

    /// Malformed bodies get the contract's 4xx on both endpoints, and nothing is revoked.
    @Test func malformedBodiesAreRefusedAndChangeNothing() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let api = admin.realm()
                let (_, refresh) = try await api.login()
                let bodies: [(String, String, HTTPResponse.Status)] = [
                    ("application/json", #"{"token": 42}"#, .badRequest),
                    ("application/json", #"{"token": ["\#(refresh)"]}"#, .badRequest),
                    ("application/json", "{not json", .badRequest),
                    ("application/json", "[]", .badRequest),
                    ("text/plain", "token=\(refresh)", .unsupportedMediaType),
                    ("application/x-www-form-urlencoded", "token=" + String(repeating: "a", count: 70_000), .contentTooLarge),
                ]
                for path in ["/oauth/revoke", "/oauth/introspect"] {
                    for (type, body, status) in bodies {
                        let answer = try await api.send(.post, path, body: body, contentType: type, bearer: admin.key)
                        #expect(answer.status == status && answer.code != nil, "\(path) \(type) \(body.prefix(40)): \(answer.status) \(answer.json)")
                    }
                }
                let nul = try await api.send(.post, "/oauth/revoke", body: #"{"token": "a\u0000b"}"#, contentType: "application/json")
                #expect(nul.status == .badRequest && nul["error"] == "invalid_request", "\(nul.status) \(nul.json)")
                // The refresh token sent in every refused body still works.
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).status == .ok)
            }
        }
    }

    @Test func discoveryNamesBothEndpointsAndTheWellKnownAnswersMayBeCached() async throws {
        try await TestDeployment.with(settings: ["key_publish_ahead": 3600]) { deployment in
            try await deployment.test { api in
                let discovery = try await api.send(.get, "/.well-known/openid-configuration")
                #expect(discovery.json["introspection_endpoint"] == "http://gatehouse.test/t/demo/prod/oauth/introspect")
                #expect(discovery.json["revocation_endpoint"] == "http://gatehouse.test/t/demo/prod/oauth/revoke")
                #expect(discovery.headers[.cacheControl] == "public, max-age=300")
                let jwks = try await api.send(.get, "/.well-known/jwks.json")
                #expect(jwks.headers[.cacheControl] == "public, max-age=300")
            }
        }
        try await TestDeployment.with(settings: ["key_publish_ahead": 40]) { deployment in
            try await deployment.test { api in
                let jwks = try await api.send(.get, "/.well-known/jwks.json")
                #expect(jwks.headers[.cacheControl] == "public, max-age=10")
            }
        }
    }
}
