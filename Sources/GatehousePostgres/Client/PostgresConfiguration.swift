/// How to reach PostgreSQL and how many connections to keep.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string (`host=... dbname=...`) or URI (`postgresql://...`).
    public var connectionString: String
    /// The most connections the pool opens at once.
    public var poolSize: Int
    /// How long a caller waits for a free connection before ``PostgresError/Kind/poolTimeout``.
    public var acquireTimeout: Duration
    /// Seconds libpq waits for a connection to be made (`connect_timeout`), unless the
    /// connection string sets it.
    public var connectTimeout: Int
    /// The `application_name` the server sees, unless the connection string sets it.
    public var applicationName: String

    /// - Parameters:
    ///   - connectionString: a libpq connection string or URI.
    ///   - poolSize: the most connections open at once.
    ///   - acquireTimeout: how long a caller waits for a free connection.
    ///   - connectTimeout: seconds to wait for a new connection.
    ///   - applicationName: reported to the server.
    public init(
        connectionString: String,
        poolSize: Int = 16,
        acquireTimeout: Duration = .seconds(5),
        connectTimeout: Int = 5,
        applicationName: String = "gatehouse"
    ) {
        self.connectionString = connectionString
        self.poolSize = max(1, poolSize)
        self.acquireTimeout = acquireTimeout
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
    }
}
