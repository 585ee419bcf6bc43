import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import Testing

@Suite(.timeLimit(.minutes(5))) struct RealmControllerTests {
    @Test func theSeedFlowWorksEndToEnd() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let (access, refresh) = try await api.login()

                let me = try await api.send(.get, "/api/me/", bearer: access)
                #expect(me.status == .ok)
                #expect(me["username"] == "alice")
                #expect(me["role"] == "user")
                // Blanks around the token, as SimpleJWT's split() allows.
                #expect(try await api.send(.get, "/api/me/", authorization: "Bearer   \(access) ").status == .ok)

                #expect(try await api.post("/api/token/verify/", json: ["token": .string(access)]).status == .ok)
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(refresh)]).status == .ok)

                let rotated = try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                #expect(rotated.status == .ok)
                let newRefresh = try #require(rotated["refresh"])
                #expect(newRefresh != refresh)
                #expect(rotated["access"] != nil)

                // The rotated token is blacklisted.
                let reused = try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                #expect(reused.status == .unauthorized)
                #expect(reused.code == "token_not_valid")

                // A fresh login, then logout with the caller's own refresh token.
                let second = try await api.login()
                let logout = try await api.post("/api/logout/", json: ["refresh": .string(second.refresh)], bearer: second.access)
                #expect(logout.status == .resetContent)
                #expect(logout.json.isEmpty)
                let afterLogout = try await api.post("/api/token/refresh/", json: ["refresh": .string(second.refresh)])
                #expect(afterLogout.status == .unauthorized)

                // Blacklist, then the token no longer refreshes or verifies.
                let third = try await api.login()
                #expect(try await api.post("/api/token/blacklist/", json: ["refresh": .string(third.refresh)]).status == .ok)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(third.refresh)]).status == .unauthorized)
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(third.refresh)]).status == .unauthorized)
                #expect(try await api.post("/api/token/blacklist/", json: ["refresh": .string(third.refresh)]).status == .unauthorized)
            }
        }
    }

    @Test func formBodiesWorkLikeJSON() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let answer = try await api.send(
                    .post,
                    "/api/token/",
                    body: "username=alice&password=secret",
                    contentType: "application/x-www-form-urlencoded"
                )
                #expect(answer.status == .ok)
                let refresh = try #require(answer["refresh"])
                let refreshed = try await api.send(
                    .post,
                    "/api/token/refresh/",
                    body: "refresh=\(refresh)",
                    contentType: "application/x-www-form-urlencoded; charset=utf-8"
                )
                #expect(refreshed.status == .ok)
            }
        }
    }

    @Test func tokensCarryTheContractsClaims() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let (access, refresh) = try await api.login()
                let (accessHeader, accessClaims) = try Self.decode(access)
                #expect(accessHeader["typ"]?.stringValue == "at+jwt")
                #expect(accessHeader["alg"]?.stringValue == "ES256")
                #expect(accessHeader["kid"]?.stringValue != nil)
                #expect(accessClaims["token_type"]?.stringValue == "access")
                #expect(accessClaims["iss"]?.stringValue == "http://gatehouse.test/t/demo/prod")
                #expect(accessClaims["username"]?.stringValue == "alice")
                #expect(accessClaims["role"]?.stringValue == "user")
                #expect(accessClaims["sub"] == accessClaims["user_id"])
                let exp = try #require(accessClaims["exp"]?.numberValue)
                let iat = try #require(accessClaims["iat"]?.numberValue)
                #expect(abs(exp - iat - 900) < 1.5)
                #expect(accessClaims["jti"]?.stringValue != nil)

                let (refreshHeader, refreshClaims) = try Self.decode(refresh)
                #expect(refreshHeader["typ"]?.stringValue == "JWT")
                #expect(refreshClaims["token_type"]?.stringValue == "refresh")
                #expect(refreshClaims["username"] == nil)
            }
        }
    }

    @Test func everyContractErrorHasItsStatusAndCode() async throws {
        try await TestDeployment.with { deployment in
            let demo = try await deployment.tenantID("demo")
            try await deployment.createUser("inactive", password: "secret", tenant: demo, isActive: false)
            try await deployment.test { api in
                // 400: missing, empty, mistyped fields and malformed bodies.
                let missing = try await api.post("/api/token/", json: ["username": "alice"])
                #expect(missing.status == .badRequest && missing.code == "invalid_request")
                #expect(missing.json["fields"]?.objectValue?["password"] != nil)
                let mistyped = try await api.post("/api/token/", json: ["username": .number(1), "password": .array([])])
                #expect(mistyped.status == .badRequest)
                for body in ["{", "[]", "null", "\"x\"", "{\"username\": \"alice\", }", String(repeating: "[", count: 10_000)] {
                    let answer = try await api.send(.post, "/api/token/", body: body, contentType: "application/json")
                    #expect(answer.status == .badRequest && answer.code == "invalid_request", "\(body.prefix(20))")
                }
                // 401 no_active_account: wrong password, unknown user, inactive user, all alike.
                let wrongPassword = try await api.post("/api/token/", json: ["username": "alice", "password": "nope"])
                let unknownUser = try await api.post("/api/token/", json: ["username": "mallory", "password": "secret"])
                let inactive = try await api.post("/api/token/", json: ["username": "inactive", "password": "secret"])
                for answer in [wrongPassword, unknownUser, inactive] {
                    #expect(answer.status == .unauthorized)
                    #expect(answer.json == wrongPassword.json)
                    #expect(answer.code == "no_active_account")
                }
                // 401 not_authenticated: no header, another scheme, a malformed header.
                for authorization in [nil, "Token abc", "Bearer", "Bearer a b", "bearer abc", "Bearer\tabc", "Bearer\u{301} abc"] as [String?] {
                    let answer = try await api.send(.get, "/api/me/", authorization: authorization)
                    #expect(answer.status == .unauthorized && answer.code == "not_authenticated", "\(authorization ?? "none")")
                }
                // 401 token_not_valid.
                let garbage = try await api.send(.get, "/api/me/", bearer: "not.a.token")
                #expect(garbage.status == .unauthorized && garbage.code == "token_not_valid")
                // 404: the same for an unknown tenant and an unknown environment.
                let noTenant = try await RealmTestClient(client: api.client, base: "/t/nope/prod").post("/api/token/", json: [:])
                let noEnvironment = try await RealmTestClient(client: api.client, base: "/t/demo/nope").post("/api/token/", json: [:])
                #expect(noTenant.status == .notFound && noTenant.code == "not_found")
                #expect(noEnvironment.json == noTenant.json && noEnvironment.status == .notFound)
                let unknownPath = try await api.send(.get, "/api/nothing/")
                #expect(unknownPath.status == .notFound && unknownPath.code == "not_found")
                // 413 and 415.
                let huge = try await api.send(
                    .post,
                    "/api/token/",
                    body: "{\"username\": \"\(String(repeating: "a", count: 100_000))\"}",
                    contentType: "application/json"
                )
                #expect(huge.status == .contentTooLarge && huge.code == "too_large")
                let xml = try await api.send(.post, "/api/token/", body: "<a/>", contentType: "application/xml")
                #expect(xml.status == .unsupportedMediaType && xml.code == "unsupported_media_type")
            }
        }
    }

    @Test func logoutTakesOnlyTheCallersOwnRefreshToken() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.createUser("bob", password: "hunter2", tenant: try await deployment.tenantID("demo"))
            try await deployment.test { api in
                let alice = try await api.login()
                let bob = try await api.login("bob", "hunter2")
                let foreign = try await api.post("/api/logout/", json: ["refresh": .string(bob.refresh)], bearer: alice.access)
                #expect(foreign.status == .badRequest)
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(bob.refresh)]).status == .ok)
                let missing = try await api.post("/api/logout/", json: [:], bearer: alice.access)
                #expect(missing.status == .badRequest)
                let unauthenticated = try await api.post("/api/logout/", json: ["refresh": .string(alice.refresh)])
                #expect(unauthenticated.status == .unauthorized && unauthenticated.code == "not_authenticated")
            }
        }
    }

    @Test func jwksAndDiscoveryDescribeTheRealm() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let discovery = try await api.send(.get, "/.well-known/openid-configuration")
                #expect(discovery.status == .ok)
                #expect(discovery["issuer"] == "http://gatehouse.test/t/demo/prod")
                #expect(discovery["jwks_uri"] == "http://gatehouse.test/t/demo/prod/.well-known/jwks.json")
                #expect(discovery["token_endpoint"] == "http://gatehouse.test/t/demo/prod/api/token/")
                let jwks = try await api.send(.get, "/.well-known/jwks.json")
                let keys = try #require(jwks.json["keys"].flatMap { if case .array(let keys) = $0 { keys } else { nil } })
                #expect(keys.count == 1)
                let key = try #require(keys.first?.objectValue)
                #expect(key["kty"]?.stringValue == "EC" && key["crv"]?.stringValue == "P-256")
                #expect(key["use"]?.stringValue == "sig" && key["alg"]?.stringValue == "ES256")
                #expect(key["d"] == nil)
                let (header, _) = try Self.decode(try await api.login().access)
                #expect(header["kid"] == key["kid"])
            }
        }
    }

    /// The header and claims of a token, unverified.
    static func decode(_ token: String) throws -> (header: [String: JSONValue], claims: [String: JSONValue]) {
        let parts = token.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        func json(_ part: String) throws -> [String: JSONValue] {
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            let data = try #require(Data(base64Encoded: base64))
            return try #require(try JSONValue.parse(data).objectValue)
        }
        return (try json(parts[0]), try json(parts[1]))
    }
}
