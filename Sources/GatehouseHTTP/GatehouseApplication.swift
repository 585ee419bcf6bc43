public import GatehousePostgres
public import Hummingbird
public import Logging

/// Builds the Gatehouse HTTP application over a database pool.
public enum GatehouseApplication {
    /// The router with every route of the service.
    /// - Parameter database: the pool the routes use.
    public static func makeRouter(database: PostgresClient) -> Router<BasicRequestContext> {
        let router = Router()
        HealthController(database: database).register(on: router)
        return router
    }

    /// The application, serving on `host`:`port` and running the pool as a service.
    /// - Parameters:
    ///   - host: the address to bind.
    ///   - port: the port to bind.
    ///   - database: the pool; it is shut down with the application.
    ///   - logger: the application's logger.
    public static func make(
        host: String,
        port: Int,
        database: PostgresClient,
        logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: self.makeRouter(database: database),
            configuration: .init(address: .hostname(host, port: port), serverName: "gatehouse"),
            services: [database],
            logger: logger
        )
    }
}
