import NIOPosix

/// A connection lent by ``PostgresClient`` for the length of one `withConnection` or
/// `withTransaction` call; do not keep it past that call.
///
/// Statements run on the client's own threads, so awaiting one never blocks an event loop.
public final class PostgresConnection: @unchecked Sendable {
    let core: LibPQConnection
    private let threadPool: NIOThreadPool
    /// A lent connection may reconnect only before its first statement: after that, a new
    /// session would silently lose the transaction or the session state the caller relies on.
    private var isFirstStatement = true

    init(core: LibPQConnection, threadPool: NIOThreadPool) {
        self.core = core
        self.threadPool = threadPool
    }

    /// Runs one statement with bound parameters.
    /// - Parameter query: the statement; interpolated values are bound, never spliced in.
    /// - Returns: the rows, if the statement returns any.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        let mayReconnect = self.isFirstStatement
        self.isFirstStatement = false
        let core = self.core
        return try await self.run { () throws(PostgresError) in
            if mayReconnect {
                core.closeIfDropped()
            } else if !core.isOpen {
                throw PostgresError(kind: .connection, message: "the connection was lost during this session")
            }
            return try core.execute(query)
        }
    }

    /// Runs SQL text of one or more statements without parameters, such as a migration file.
    /// - Parameter unsafeSQL: SQL text that holds no value from outside the program.
    public func execute(unsafeSQL: String) async throws {
        let mayReconnect = self.isFirstStatement
        self.isFirstStatement = false
        let core = self.core
        try await self.run { () throws(PostgresError) in
            if mayReconnect {
                core.closeIfDropped()
            } else if !core.isOpen {
                throw PostgresError(kind: .connection, message: "the connection was lost during this session")
            }
            try core.executeScript(unsafeSQL)
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws(PostgresError) -> T) async throws -> T {
        do {
            return try await self.threadPool.runIfActive { try body() }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PostgresError(kind: .clientClosed, message: "the PostgreSQL client was shut down")
        }
    }
}
