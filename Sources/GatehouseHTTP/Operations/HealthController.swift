public import GatehousePostgres
public import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers).
public struct HealthController: Sendable {
    let database: PostgresClient

    /// - Parameter database: the pool whose reachability `/readyz` reports.
    public init(database: PostgresClient) {
        self.database = database
    }

    struct Status: ResponseEncodable {
        var status: String
    }

    /// Adds the routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/healthz") { _, _ in Status(status: "ok") }
        router.get("/readyz") { _, _ in
            do {
                try await self.database.query("SELECT 1")
            } catch {
                throw APIError.unavailable
            }
            return Status(status: "ready")
        }
    }
}
