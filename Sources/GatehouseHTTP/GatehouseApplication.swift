public import GatehouseCore
public import Hummingbird
public import HummingbirdCore
public import Logging
public import ServiceLifecycle

/// Builds the Gatehouse HTTP application.
public enum GatehouseApplication {
    /// The router with every route of the service.
    /// - Parameters:
    ///   - tokens: the realms' token service; `/readyz` asks it whether it can serve.
    ///   - admin: the operators' operations.
    ///   - metrics: where requests are counted for `/metrics`.
    ///   - clientAddress: which proxies' `X-Forwarded-For` the throttles believe.
    public static func makeRouter(
        tokens: TokenService,
        admin: AdminService,
        metrics: RequestMetrics = RequestMetrics(),
        clientAddress: ClientAddress = ClientAddress()
    ) -> Router<GatehouseRequestContext> {
        // HEAD answers as GET does, without the body: monitors and caches probe with it.
        let router = Router(context: GatehouseRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: RealmCORSMiddleware(realms: tokens.realms))
        router.add(middleware: ErrorMiddleware())
        HealthController(ready: tokens.isReady).register(on: router)
        MetricsController(metrics: metrics).register(on: router)
        RealmController(tokens: tokens, clientAddress: clientAddress).register(on: router)
        OAuthController(tokens: tokens, admin: admin, clientAddress: clientAddress).register(on: router)
        AdminController(admin: admin).register(on: router)
        OpenAPIController().register(on: router)
        ConsoleController().register(on: router)
        return router
    }

    /// The application, serving on `host`:`port` and running `services` beside it.
    /// - Parameters:
    ///   - host: the address to bind.
    ///   - port: the port to bind.
    ///   - tokens: the realms' token service.
    ///   - admin: the operators' operations.
    ///   - clientAddress: which proxies' `X-Forwarded-For` the throttles believe.
    ///   - server: how connections are spoken to: HTTP/1.1 within ``ClientLimits``, or that over TLS.
    ///   - services: the services to run alongside (the database pool, the change feed, the
    ///     scheduler); they are shut down with the application.
    ///   - logger: the application's logger.
    public static func make(
        host: String,
        port: Int,
        tokens: TokenService,
        admin: AdminService,
        clientAddress: ClientAddress,
        server: HTTPServerBuilder = .guardedHTTP1(limits: ClientLimits()),
        services: [any Service],
        logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: self.makeRouter(tokens: tokens, admin: admin, clientAddress: clientAddress),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "gatehouse"),
            services: services,
            logger: logger
        )
    }
}
