import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehousePostgres
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// `gatehouse serve`: runs the HTTP service until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8080

    @Option(help: "The base of issuer URLs (default: $GATEHOUSE_PUBLIC_URL, else http://HOST:PORT).")
    var publicURL: String?

    @Option(help: "Seconds between the scheduler's looks for due key rotations and expired tokens.")
    var schedulerInterval = 5

    @Option(
        name: .customLong("trusted-proxy"),
        help:
            "A proxy (address or CIDR block) whose X-Forwarded-For the throttles believe; repeatable (default: $GATEHOUSE_TRUSTED_PROXIES, comma-separated)."
    )
    var trustedProxies: [String] = []

    @Option(help: "Serve HTTPS with this PEM certificate chain (with --tls-key).")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Open connections at most; past them a new one is answered 503.")
    var maxConnections = ClientLimits().maximumConnections

    @Option(help: "Seconds a client may take to send one request, head and body.")
    var requestTimeout = Int(ClientLimits().requestTimeout.components.seconds)

    @Option(help: "Seconds a kept-alive connection may stay idle between requests.")
    var idleTimeout = Int(ClientLimits().idleTimeout.components.seconds)

    @Option(
        help:
            "Seconds that graceful shutdown (after SIGTERM or SIGINT, requests in flight finish) may take before the process exits anyway, with status 1."
    )
    var gracefulTimeout = 30

    @Option(help: "How log lines are written on standard error: json (one object per line) or text.")
    var logFormat: GatehouseLogHandler.Format = .text

    @Option(help: "The least severe level logged: trace, debug, info (one line per request), notice, warning, error or critical.")
    var logLevel = "info"

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard self.maxConnections >= 1, self.requestTimeout >= 1, self.idleTimeout >= 1, self.gracefulTimeout >= 1 else {
            throw ValidationError("--max-connections, --request-timeout, --idle-timeout and --graceful-timeout must be at least 1")
        }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (self.tlsCert == nil) == (self.tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// HTTP/1.1 within the client limits, over TLS when a certificate and key are given.
    func server() throws -> HTTPServerBuilder {
        var limits = ClientLimits()
        limits.maximumConnections = self.maxConnections
        limits.requestTimeout = .seconds(self.requestTimeout)
        limits.idleTimeout = .seconds(self.idleTimeout)
        guard let certificate = self.tlsCert, let key = self.tlsKey else { return .guardedHTTP1(limits: limits) }
        let chain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ValidationError("cannot read the TLS certificate or key: \(error)")
        }
        guard !chain.isEmpty else { throw ValidationError("--tls-cert \(certificate) holds no certificate") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        // swift-nio-ssl's default still accepts TLS 1.0 and 1.1, which RFC 8996 retired.
        configuration.minimumTLSVersion = .tlsv12
        return try .tls(.guardedHTTP1(limits: limits), tlsConfiguration: configuration)
    }

    func run() async throws {
        let server = try self.server()
        let trustedProxies = try ClientAddress.networks(
            self.trustedProxies.isEmpty
                ? [ProcessInfo.processInfo.environment["GATEHOUSE_TRUSTED_PROXIES"] ?? ""] : self.trustedProxies
        )
        let masterKey = try MasterKeyOption.load()
        LoggingSystem.bootstrap { [format = self.logFormat, level = Logger.Level(rawValue: self.logLevel) ?? .info] label in
            var handler = GatehouseLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
        // Whatever way serve ends, the lines still queued are written.
        defer { LogSink.standardError.flush() }
        let logger = Logger(label: "gatehouse")
        let client = PostgresClient(configuration: try self.database.configuration(), logger: logger)
        let publicURL =
            self.publicURL ?? ProcessInfo.processInfo.environment["GATEHOUSE_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(self.tlsCert == nil ? "http" : "https")://\(self.host):\(self.port)"
        // Password hashing gets a thread per core, so logins use every core and never an event loop.
        let hashing = NIOThreadPool(numberOfThreads: System.coreCount)
        hashing.start()
        let keys = SigningKeyStore(masterKey: masterKey)
        let clock = DatabaseClock()
        do {
            try await keys.checkMasterKey(database: client)
            try await clock.synchronize(with: client)
        } catch {
            await client.shutdown()
            throw error
        }
        let realms = RealmDirectory(database: client, keys: keys, publicURL: publicURL)
        let users = UserCache()
        let hasher = try PasswordHasher(threadPool: hashing, bulkThreads: max(1, System.coreCount / 2))
        let tokens = TokenService(database: client, realms: realms, userCache: users, hasher: hasher, clock: clock)
        let admin = AdminService(database: client, keys: keys, hasher: hasher, publicURL: publicURL, realms: realms, userCache: users)
        let changes = ChangeFeed(configuration: client.configuration, realms: realms, users: users, logger: logger)
        let scheduler = Scheduler(
            database: client,
            keys: keys,
            interval: .seconds(max(1, self.schedulerInterval)),
            clock: clock,
            logger: logger
        )
        let application = GatehouseApplication.make(
            host: self.host,
            port: self.port,
            tokens: tokens,
            admin: admin,
            clientAddress: ClientAddress(trustedProxies: trustedProxies),
            server: server,
            services: [client, changes, scheduler],
            logger: logger
        )
        // Armed only now: until the service group below watches for SIGTERM and SIGINT, they
        // end the process at once, as they should while it is starting.
        let deadline = ShutdownDeadline(limit: .seconds(self.gracefulTimeout), logger: logger)
        defer { withExtendedLifetime(deadline) {} }
        try await application.runService()
        try await hashing.shutdownGracefully()
    }
}
