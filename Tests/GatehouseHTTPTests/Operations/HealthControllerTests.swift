import GatehouseHTTP
import GatehouseTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct HealthControllerTests {
    /// The service's own wiring: `/readyz` asks the token service, which asks the database.
    @Test func healthAndReadinessAnswerWhenTheDatabaseDoes() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { client in
                var http = client
                http.base = ""
                let health = try await http.send(.get, "/healthz")
                #expect(health.status == .ok && health["status"] == "ok")
                let ready = try await http.send(.get, "/readyz")
                #expect(ready.status == .ok && ready["status"] == "ready")
            }
        }
    }

    /// Monitors and caches probe with HEAD: it answers as GET does, without the body.
    @Test func headAnswersAsGetWithoutTheBody() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { client in
                var http = client
                http.base = ""
                for path in ["/healthz", "/readyz", "/t/demo/prod/.well-known/jwks.json", "/t/demo/prod/.well-known/openid-configuration"] {
                    let head = try await http.send(.head, path)
                    #expect(head.status == .ok && head.json.isEmpty, "\(path): \(head.status)")
                }
                let unknown = try await http.send(.head, "/t/demo/nowhere/.well-known/jwks.json")
                #expect(unknown.status == .notFound)
            }
        }
    }

    /// The answer when the instance cannot serve, byte for byte; `DatabaseOutageTests`
    /// stops a real database under the service's wiring.
    @Test func notReadyIsA503InTheContractsShapeWhileHealthStillAnswers() async throws {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        HealthController(ready: { false }).register(on: router)
        try await Application(router: router).test(.router) { http in
            try await http.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await http.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == #"{"code":"unavailable","detail":"Service temporarily unavailable."}"#)
            }
        }
    }
}
