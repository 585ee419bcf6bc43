import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// CORS (contract section 7): exact origins, credentials, preflights, and never the admin API.
@Suite(.timeLimit(.minutes(5))) struct RealmCORSTests {
    static let allowed = "https://app.example.com"

    static func origin(_ origin: String, preflight method: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.origin: origin]
        if let method {
            headers[.accessControlRequestMethod] = method
            headers[.accessControlRequestHeaders] = "authorization, content-type, x-csrf-token"
        }
        return headers
    }

    static func allowHeaders(_ answer: Answer) -> [String] {
        answer.headers.map(\.name.canonicalName).filter { $0.hasPrefix("access-control-allow-") }
    }

    @Test func anAllowedOriginGetsItsPreflightAndItsAnswersEvenErrors() async throws {
        try await TestDeployment.with(settings: ["cors_allowed_origins": [.string(Self.allowed), "http://localhost:5173"]]) { deployment in
            try await deployment.test { api in
                let preflight = try await api.send(.options, "/api/token/", headers: Self.origin(Self.allowed, preflight: "POST"))
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[.accessControlAllowOrigin] == Self.allowed)
                #expect(preflight.headers[.accessControlAllowCredentials] == "true")
                #expect(preflight.headers[.accessControlAllowMethods] == "GET, POST, OPTIONS")
                #expect(preflight.headers[.accessControlAllowHeaders] == "Authorization, Content-Type, X-CSRF-Token")
                #expect(preflight.headers[.accessControlMaxAge] == "600" && preflight.headers[.vary] == "Origin")

                let login = try await api.send(
                    .post,
                    "/api/token/",
                    body: #"{"username": "alice", "password": "secret"}"#,
                    contentType: "application/json",
                    headers: Self.origin(Self.allowed)
                )
                #expect(login.status == .ok && login.headers[.accessControlAllowOrigin] == Self.allowed)
                #expect(login.headers[.accessControlAllowCredentials] == "true" && login.headers[.vary] == "Origin")
                // A page must be able to read why it was refused.
                let refused = try await api.send(.get, "/api/me/", bearer: "garbage", headers: Self.origin("http://localhost:5173"))
                #expect(refused.status == .unauthorized && refused.headers[.accessControlAllowOrigin] == "http://localhost:5173")
            }
        }
    }

    @Test func otherOriginsGetNoCORSHeaderAndTheirPreflightIs403() async throws {
        try await TestDeployment.with(settings: ["cors_allowed_origins": [.string(Self.allowed)]]) { deployment in
            try await deployment.test { api in
                for origin in [
                    "https://evil.test", "https://app.example.com.evil.test", "https://evil-app.example.com", "http://app.example.com",
                    "https://app.example.com:8443", "null", "*",
                ] {
                    let preflight = try await api.send(.options, "/api/token/", headers: Self.origin(origin, preflight: "POST"))
                    #expect(preflight.status == .forbidden && Self.allowHeaders(preflight).isEmpty, "\(origin)")
                    let answer = try await api.send(.get, "/.well-known/jwks.json", headers: Self.origin(origin))
                    #expect(answer.status == .ok && Self.allowHeaders(answer).isEmpty, "\(origin)")
                }
                // Another realm's list is not this one's.
                var other = api
                other.base = "/t/demo/staging"
                let preflight = try await other.send(.options, "/api/token/", headers: Self.origin(Self.allowed, preflight: "POST"))
                #expect(preflight.status == .forbidden && Self.allowHeaders(preflight).isEmpty)
            }
        }
    }

    @Test func theAdminAPINeverAnswersCORS() async throws {
        try await TestDeployment.with(settings: ["cors_allowed_origins": [.string(Self.allowed)]]) { deployment in
            try await deployment.testAdmin { admin in
                var raw = admin.http
                raw.base = "/admin/v1"
                let preflight = try await raw.send(.options, "/tenants", headers: Self.origin(Self.allowed, preflight: "GET"))
                #expect(preflight.status != .noContent && Self.allowHeaders(preflight).isEmpty)
                let list = try await raw.send(.get, "/tenants", bearer: admin.key, headers: Self.origin(Self.allowed))
                #expect(list.status == .ok && Self.allowHeaders(list).isEmpty)
            }
        }
    }

    @Test func originsAreValidatedExactly() async throws {
        for bad: JSONValue in [
            "https://app.example.com", ["*"], ["https://*.example.com"], ["https://app.example.com/"], ["HTTPS://APP.example.com"], ["ftp://x.test"],
            ["https://a.test/path"], ["https://a.test", "https://a.test"],
        ] {
            #expect(throws: SettingsError.self, "\(bad)") { try EnvironmentSettings().applying(["cors_allowed_origins": bad]) }
        }
        let good = try EnvironmentSettings().applying([
            "cors_allowed_origins": ["https://app.example.com", "http://localhost:5173", "http://[::1]:8080"]
        ])
        #expect(good.corsAllowedOrigins.count == 3)
    }
}
