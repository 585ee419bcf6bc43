import GatehouseHTTP
import GatehousePostgres
import GatehouseTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(5))) struct HealthControllerTests {
    @Test func healthAndReadinessAnswerWhenTheDatabaseDoes() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            let app = Application(router: Self.router(client))
            try await app.test(.router) { http in
                try await http.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
                }
                try await http.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == #"{"status":"ready"}"#)
                }
            }
        }
    }

    @Test func readinessIsUnavailableWithoutTheDatabase() async throws {
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: "host=/nonexistent-gatehouse dbname=x", poolSize: 1)
        )
        defer { Task { await client.shutdown() } }
        let app = Application(router: Self.router(client))
        try await app.test(.router) { http in
            try await http.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await http.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == #"{"code":"unavailable","detail":"Service temporarily unavailable."}"#)
            }
        }
    }

    static func router(_ database: PostgresClient) -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        HealthController(database: database).register(on: router)
        return router
    }
}
