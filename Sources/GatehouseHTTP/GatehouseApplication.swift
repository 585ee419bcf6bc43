public import GatehouseCore
public import GatehousePostgres
public import Hummingbird
public import Logging
public import ServiceLifecycle

/// Builds the Gatehouse HTTP application.
public enum GatehouseApplication {
    /// The router with every route of the service.
    /// - Parameters:
    ///   - database: the pool `/readyz` checks.
    ///   - tokens: the realms' token service.
    ///   - admin: the operators' operations.
    ///   - metrics: where requests are counted for `/metrics`.
    ///   - clientAddress: which proxies' `X-Forwarded-For` the throttles believe.
    public static func makeRouter(
        database: PostgresClient,
        tokens: TokenService,
        admin: AdminService,
        metrics: RequestMetrics = RequestMetrics(),
        clientAddress: ClientAddress = ClientAddress()
    ) -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        HealthController(database: database).register(on: router)
        MetricsController(metrics: metrics).register(on: router)
        RealmController(tokens: tokens, clientAddress: clientAddress).register(on: router)
        AdminController(admin: admin, adminKeys: AdminAPIKeyStore(database: database)).register(on: router)
        OpenAPIController().register(on: router)
        return router
    }

    /// The application, serving on `host`:`port` and running the pool as a service.
    /// - Parameters:
    ///   - host: the address to bind.
    ///   - port: the port to bind.
    ///   - database: the pool; it is shut down with the application.
    ///   - tokens: the realms' token service.
    ///   - admin: the operators' operations.
    ///   - clientAddress: which proxies' `X-Forwarded-For` the throttles believe.
    ///   - services: more services to run alongside (the change feed).
    ///   - logger: the application's logger.
    public static func make(
        host: String,
        port: Int,
        database: PostgresClient,
        tokens: TokenService,
        admin: AdminService,
        clientAddress: ClientAddress,
        services: [any Service],
        logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: self.makeRouter(database: database, tokens: tokens, admin: admin, clientAddress: clientAddress),
            configuration: .init(address: .hostname(host, port: port), serverName: "gatehouse"),
            services: [database] + services,
            logger: logger
        )
    }
}
