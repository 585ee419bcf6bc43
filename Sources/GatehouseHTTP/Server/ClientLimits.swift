/// What one client may take of an instance (issue 11): a connection that sends a byte a
/// second, a huge header or an endless stream of connections costs a bounded amount and
/// ends clearly. Bodies are bounded per route where they are read (``RequestFields``,
/// ``AdminRequestBody``, the import).
public struct ClientLimits: Sendable, Equatable {
    /// Open connections per instance; past it a new one is answered 503 and closed.
    public var maximumConnections = 1024
    /// From the first byte of a request to its last (head and body).
    public var requestTimeout: Duration = .seconds(30)
    /// Between requests on a kept-alive connection.
    public var idleTimeout: Duration = .seconds(60)
    /// The longest header line and request line, in bytes: an access token (8 KiB at most) fits.
    public var maximumHeaderFieldSize = 16 * 1024
    /// All header lines together.
    public var maximumHeaderListSize = 32 * 1024
    public var maximumHeaderFieldCount = 100

    public init() {}
}
