public import Foundation
public import GatehousePostgres
import Synchronization

/// The one clock that decides every comparison of instants: PostgreSQL's.
///
/// Revocation instants, rotation times and purges are written by the database's clock;
/// token `iat` and `exp`, and every check of them, use this clock, which reads the local
/// clock corrected by the offset last measured against the database. A host whose clock
/// runs ahead of the database's would otherwise mint tokens, just before a revocation,
/// with an `iat` after it, and they would survive it.
public final class DatabaseClock: Sendable {
    private let local: @Sendable () -> Date
    /// Database time minus local time, in microseconds.
    private let offset = Atomic<Int64>(0)

    /// - Parameter local: the local clock (tests pass a skewed one).
    public init(local: @escaping @Sendable () -> Date = { Date() }) {
        self.local = local
    }

    /// The database's time now, as last synchronized.
    public func now() -> Date {
        self.local().addingTimeInterval(Double(self.offset.load(ordering: .relaxed)) / 1_000_000)
    }

    /// Measures the offset against the database: its `clock_timestamp()` against the middle
    /// of the local instants around the round trip, off by at most half of it.
    ///
    /// The round trips are timed on a connection already held, so that waiting for one from
    /// a busy pool does not count: that wait comes before the statement is sent, and would
    /// set this clock ahead by half of it (a second under load), enough to issue tokens
    /// after a revocation made at the same moment. Of three round trips, the shortest decides.
    public func synchronize(with database: PostgresClient) async throws {
        let offset = try await database.withConnection { connection in
            var best = (roundTrip: TimeInterval.infinity, offset: 0.0)
            for _ in 0..<3 {
                let before = self.local()
                let remote = try await connection.query("SELECT clock_timestamp()").single(Date.self)
                let roundTrip = self.local().timeIntervalSince(before)
                if roundTrip < best.roundTrip {
                    best = (roundTrip, remote.timeIntervalSince(before.addingTimeInterval(roundTrip / 2)))
                }
            }
            return best.offset
        }
        self.offset.store(Int64((offset * 1_000_000).rounded()), ordering: .relaxed)
    }
}
