import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(3))) struct DatabaseClockTests {
    /// Under load, a synchronization can wait seconds for a pooled connection before its
    /// statement is sent. Counting that wait as round trip set the clock ahead by half of it,
    /// and a token issued just before a revocation then carried an `iat` after it.
    @Test func waitingForAPooledConnectionDoesNotSetTheClockAhead() async throws {
        try await TestPostgres.withClient(poolSize: 1) { database in
            let (held, holding) = AsyncStream<Void>.makeStream()
            // The only connection is busy for 4 s while the clock asks for one.
            let holder = Task {
                try await database.withConnection { _ in
                    holding.yield()
                    try await Task.sleep(for: .seconds(4))
                }
            }
            var iterator = held.makeAsyncIterator()
            await iterator.next()
            let clock = DatabaseClock()
            try await clock.synchronize(with: database)
            try await holder.value
            // Read the database's clock and this one back to back on a held connection.
            let (local, remote) = try await database.withConnection { connection in
                let before = clock.now()
                let remote = try await connection.query("SELECT clock_timestamp()").single(Date.self)
                let after = clock.now()
                return (before.addingTimeInterval(after.timeIntervalSince(before) / 2), remote)
            }
            // Half the wait would be 2 s; the round trips themselves are milliseconds.
            #expect(abs(local.timeIntervalSince(remote)) < 0.5, "off by \(local.timeIntervalSince(remote)) s")
        }
    }
}
