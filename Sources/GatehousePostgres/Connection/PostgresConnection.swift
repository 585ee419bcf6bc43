import NIOPosix

/// A connection lent by ``PostgresClient`` for the length of one `withConnection` or
/// `withTransaction` call; do not keep it past that call.
///
/// Statements never block a thread: they suspend until the server answers. Only
/// connecting blocks, on a thread of the client's own.
public final class PostgresConnection: @unchecked Sendable {
    let core: LibPQConnection
    /// Where blocking connects run.
    private let connector: NIOThreadPool
    /// A lent connection may reconnect only before its first statement: after that, a new
    /// session would silently lose the transaction or the session state the caller relies on.
    private var isFirstStatement = true

    init(core: LibPQConnection, connector: NIOThreadPool) {
        self.core = core
        self.connector = connector
    }

    /// Runs one statement with bound parameters.
    /// - Parameter query: the statement; interpolated values are bound, never spliced in.
    /// - Returns: the rows, if the statement returns any.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await self.prepareForStatement()
        return try await self.core.execute(query)
    }

    /// Runs SQL text of one or more statements without parameters, such as a migration file.
    /// - Parameter unsafeSQL: SQL text that holds no value from outside the program.
    public func execute(unsafeSQL: String) async throws {
        try await self.prepareForStatement()
        try await self.core.execute(unsafeSQL: unsafeSQL)
    }

    /// Runs `body` in a transaction on this connection: committed when it returns, rolled
    /// back when it throws. For a caller that keeps one connection across transactions
    /// (session state such as an advisory lock); others use ``PostgresClient/withTransaction(level:isolation:_:)``.
    @discardableResult
    public func withTransaction<Result>(
        level: IsolationLevel = .readCommitted,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await self.query(PostgresQuery(unsafeSQL: level.begin))
        do {
            let result = try await body(self)
            try await self.query("COMMIT")
            return result
        } catch {
            // A broken connection cannot roll back, and is closed on release anyway.
            _ = try? await self.query("ROLLBACK")
            throw error
        }
    }

    /// Connects before the first statement of a loan, if the connection is closed or was
    /// dropped by the server while idle; fails later statements of a broken connection.
    private func prepareForStatement() async throws {
        let core = self.core
        guard self.isFirstStatement else {
            guard core.isOpen else {
                throw PostgresError(kind: .connection, message: "the connection was lost during this session")
            }
            return
        }
        self.isFirstStatement = false
        core.closeIfDropped()
        guard !core.isOpen else { return }
        do {
            try await self.connector.runIfActive { try core.connect() }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PostgresError(kind: .clientClosed, message: "the PostgreSQL client was shut down")
        }
    }
}
