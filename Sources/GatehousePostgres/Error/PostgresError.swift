/// An error from the database layer.
///
/// Server errors carry their ``SQLState`` so callers can react to a unique violation or a
/// serialization failure; messages never contain the connection password.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Hashable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected the statement; see ``PostgresError/sqlState``.
        case server
        /// A column could not be decoded into the requested type.
        case decoding
        /// No connection became free within the pool's acquire timeout.
        case poolTimeout
        /// The client was shut down.
        case clientClosed
    }

    public var kind: Kind
    /// The server's SQLSTATE, for ``Kind/server`` errors.
    public var sqlState: SQLState?
    /// The primary message (libpq's or the server's).
    public var message: String
    /// The server's `DETAIL` field, when it sent one.
    public var detail: String?
    /// The constraint that was violated, when the server names one.
    public var constraint: String?

    public init(
        kind: Kind,
        sqlState: SQLState? = nil,
        message: String,
        detail: String? = nil,
        constraint: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    /// The database could not be reached (or no connection came free in time), as opposed
    /// to a statement it refused: what callers may answer from a cache, or with 503.
    ///
    /// Besides a broken or missing connection, the server's own word that it cannot serve
    /// now counts: shutting down (`57P01`, `57P02`), starting (`57P03`), out of connection
    /// slots (`53300`), a connection exception (class `08`), and a read-only transaction
    /// (`25006`), which is what a standby or a demoted primary answers a write during a
    /// failover.
    public var isUnavailable: Bool {
        switch self.kind {
        case .connection, .poolTimeout:
            return true
        case .server:
            guard let state = self.sqlState else { return false }
            return state.isConnectionException
                || [.adminShutdown, .crashShutdown, .cannotConnectNow, .readOnlySQLTransaction, .tooManyConnections].contains(state)
        case .decoding, .clientClosed:
            return false
        }
    }

    public var description: String {
        var text = self.message
        if let detail { text += " (\(detail))" }
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }

    static func decoding(_ error: PostgresDecodingError, column: Int) -> PostgresError {
        PostgresError(kind: .decoding, message: "column \(column): \(error)")
    }
}
