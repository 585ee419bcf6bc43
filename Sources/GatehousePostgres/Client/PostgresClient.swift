public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A bounded pool of PostgreSQL connections with an async API.
///
/// Connections open lazily, up to ``PostgresConfiguration/poolSize``. Statements suspend
/// rather than block while the server works; only connecting blocks, on a few threads of
/// the client's own, never on an event loop. A caller that finds every connection busy waits in
/// line, and fails with ``PostgresError/Kind/poolTimeout`` rather than hang. Run it as a
/// ServiceLifecycle service, or call ``shutdown()``.
public final class PostgresClient: Sendable, Service {
    public let configuration: PostgresConfiguration
    /// Threads for libpq's blocking connect; statements need none.
    private let connector: NIOThreadPool
    private let state: Mutex<PoolState<LibPQConnection, CheckedContinuation<LibPQConnection, any Error>>>
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: where the database is and how many connections to keep.
    ///   - logger: where connection problems are reported.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "gatehouse.postgres")) {
        self.configuration = configuration
        self.logger = logger
        self.connector = NIOThreadPool(numberOfThreads: min(configuration.poolSize, 4))
        self.connector.start()
        self.state = Mutex(PoolState(size: configuration.poolSize))
    }

    /// Runs `body` with a new client and shuts the client down afterwards, whether `body`
    /// returns or throws: for commands and tests that need a database for a moment.
    /// - Parameters:
    ///   - configuration: where the database is.
    ///   - isolation: the caller's actor, which `body` stays on.
    ///   - body: the work to do with the client.
    public static func withClient<Result>(
        configuration: PostgresConfiguration,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Runs one statement on a pooled connection.
    /// - Parameter query: the statement; interpolated values are bound, never spliced in.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await self.withConnection { try await $0.query(query) }
    }

    /// Lends a connection for the length of `body`.
    ///
    /// A connection left inside a transaction, or broken, is closed when `body` returns.
    /// - Parameters:
    ///   - isolation: the caller's actor, which `body` stays on.
    ///   - body: the work to do on the connection.
    @discardableResult
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let core = try await self.acquire()
        defer { self.release(core) }
        return try await body(PostgresConnection(core: core, connector: self.connector))
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// A failed `COMMIT` (a serialization failure, a deferred constraint) is thrown with
    /// its ``SQLState``.
    /// - Parameters:
    ///   - level: the isolation level.
    ///   - isolation: the caller's actor, which `body` stays on.
    ///   - body: the work to do inside the transaction.
    @discardableResult
    public func withTransaction<Result>(
        level: IsolationLevel = .readCommitted,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await self.withConnection { connection in
            try await connection.withTransaction(level: level, body)
        }
    }

    /// Sends a notification to every listener of `channel` (`pg_notify`).
    /// - Parameters:
    ///   - channel: the channel name.
    ///   - payload: up to 8000 bytes of text.
    public func notify(channel: String, payload: String) async throws {
        try await self.query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Fails every waiter, closes every idle connection and stops the threads. Connections
    /// still lent out are closed when they come back.
    public func shutdown() async {
        let (waiters, idle) = self.state.withLock { $0.close() }
        for waiter in waiters {
            waiter.resume(throwing: PostgresError(kind: .clientClosed, message: "the PostgreSQL client was shut down"))
        }
        for connection in idle { connection.close() }
        try? await self.connector.shutdownGracefully()
    }

    /// Keeps the pool open until graceful shutdown, then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.shutdown()
    }

    private func acquire() async throws -> LibPQConnection {
        let taken = self.state.withLock { $0.take() }
        if case .wait = taken {
            return try await self.waitForConnection()
        }
        return try self.lend(taken)
    }

    private func lend(_ taken: PoolState<LibPQConnection, CheckedContinuation<LibPQConnection, any Error>>.Taken) throws -> LibPQConnection {
        switch taken {
        case .connection(let connection): return connection
        case .create: return LibPQConnection(configuration: self.configuration)
        // `.wait` never comes here: both callers wait instead.
        case .closed, .wait: throw PostgresError(kind: .clientClosed, message: "the PostgreSQL client was shut down")
        }
    }

    private func waitForConnection() async throws -> LibPQConnection {
        let id = self.state.withLock { $0.nextWaiterID() }
        let timeout = Task { [configuration] in
            try await Task.sleep(for: configuration.acquireTimeout)
            self.fail(
                waiter: id,
                with: PostgresError(
                    kind: .poolTimeout,
                    message: "no database connection became free within \(configuration.acquireTimeout)"
                )
            )
        }
        defer { timeout.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let taken = self.state.withLock { $0.enqueue(continuation, id: id) }
                if case .wait = taken {
                    // Cancelled before it queued: the cancellation handler found nothing to fail.
                    if Task.isCancelled { self.fail(waiter: id, with: CancellationError()) }
                    return
                }
                continuation.resume(with: Result { try self.lend(taken) })
            }
        } onCancel: {
            self.fail(waiter: id, with: CancellationError())
        }
    }

    private func fail(waiter id: Int, with error: any Error) {
        if let waiter = self.state.withLock({ $0.removeWaiter(id: id) }) {
            waiter.resume(throwing: error)
        }
    }

    private func release(_ connection: LibPQConnection) {
        if !connection.isIdle {
            // Broken, or left inside a transaction: never lend it out like that.
            connection.close()
        }
        switch self.state.withLock({ $0.give(back: connection) }) {
        case .handedTo(let waiter): waiter.resume(returning: connection)
        case .pooled: break
        case .closed: connection.close()
        }
    }
}

/// The isolation level of a transaction.
public enum IsolationLevel: Sendable {
    case readCommitted
    case repeatableRead
    case serializable

    var begin: String {
        switch self {
        case .readCommitted: "BEGIN"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}
