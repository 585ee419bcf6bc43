import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(5))) struct PostgresClientTests {
    @Test func manyConcurrentQueriesShareASmallPool() async throws {
        let url = try await TestPostgres.makeDatabase()
        let applicationName = "pool-test-\(UUID().uuidString.prefix(8))"
        var configuration = PostgresConfiguration(connectionString: url, poolSize: 4, applicationName: applicationName)
        // The queue is the point here, not the timeout: 100 callers, 25 to a connection. With
        // the whole suite running on two cores, this test's tasks were seen to get through
        // about 8 statements a second (500 callers then waited more than 60 s).
        configuration.acquireTimeout = .seconds(120)
        let client = PostgresClient(configuration: configuration)
        defer { Task { await client.shutdown() } }

        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<100 {
                group.addTask {
                    // Some statements hold their connection for a moment, so callers queue.
                    let rows = try await client.query("SELECT \(i)::int8 + 0 * length(pg_sleep(\(i % 10 == 0 ? 0.01 : 0.0))::text)")
                    return try rows.single(Int.self)
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sum == (0..<100).reduce(0, +))

        // No connection leaked: at most the pool size is open, and all are usable again.
        let open = try await client.query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = \(applicationName)"
        ).single(Int.self)
        #expect(open >= 1 && open <= 4)
        let again = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await client.query("SELECT 1").single(Int.self) } }
            return try await group.reduce(0, +)
        }
        #expect(again == 8)
    }

    @Test func aThrownErrorRollsTheTransactionBack() async throws {
        struct Abort: Error {}
        try await TestPostgres.withClient { client in
            try await client.query("CREATE TABLE items (name text PRIMARY KEY)")
            await #expect(throws: Abort.self) {
                try await client.withTransaction { connection in
                    try await connection.query("INSERT INTO items VALUES (\("first"))")
                    try await connection.query("INSERT INTO items VALUES (\("second"))")
                    throw Abort()
                }
            }
            #expect(try await client.query("SELECT count(*) FROM items").single(Int.self) == 0)

            try await client.withTransaction { connection in
                try await connection.query("INSERT INTO items VALUES (\("kept"))")
            }
            #expect(try await client.query("SELECT name FROM items").single(String.self) == "kept")
        }
    }

    @Test func aUniqueViolationCarriesItsSQLState() async throws {
        try await TestPostgres.withClient { client in
            try await client.query("CREATE TABLE users (name text CONSTRAINT users_name_key UNIQUE)")
            try await client.query("INSERT INTO users VALUES (\("alice"))")
            let error = await #expect(throws: PostgresError.self) {
                try await client.query("INSERT INTO users VALUES (\("alice"))")
            }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.constraint == "users_name_key")

            // A failed statement inside a transaction rolls back everything before it.
            await #expect(throws: PostgresError.self) {
                try await client.withTransaction { connection in
                    try await connection.query("INSERT INTO users VALUES (\("bob"))")
                    try await connection.query("INSERT INTO users VALUES (\("alice"))")
                }
            }
            #expect(try await client.query("SELECT count(*) FROM users").single(Int.self) == 1)
        }
    }

    @Test func aSerializationFailureCarriesItsSQLState() async throws {
        try await TestPostgres.withClient(poolSize: 2) { client in
            try await client.query("CREATE TABLE counter (n int8)")
            try await client.query("INSERT INTO counter VALUES (0)")
            let error = await #expect(throws: PostgresError.self) {
                try await client.withTransaction(level: .serializable) { first in
                    _ = try await first.query("SELECT n FROM counter")
                    try await client.withTransaction(level: .serializable) { second in
                        _ = try await second.query("SELECT n FROM counter")
                        try await second.query("UPDATE counter SET n = n + 1")
                    }
                    try await first.query("UPDATE counter SET n = n + 1")
                }
            }
            #expect(error?.sqlState == .serializationFailure)
            #expect(try await client.query("SELECT n FROM counter").single(Int.self) == 1)
        }
    }

    @Test func aCallerWaitingTooLongForAConnectionTimesOut() async throws {
        let url = try await TestPostgres.makeDatabase()
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: url, poolSize: 1, acquireTimeout: .milliseconds(200))
        )
        defer { Task { await client.shutdown() } }
        try await client.withConnection { connection in
            try await connection.query("SELECT 1")
            let error = await #expect(throws: PostgresError.self) {
                try await client.query("SELECT 1")
            }
            #expect(error?.kind == .poolTimeout)
        }
        // The connection came back and serves the next caller.
        #expect(try await client.query("SELECT 2").single(Int32.self) == 2)
    }

    @Test func shutdownFailsTheWaitersAndEveryLaterCallerAndClosesWhatComesBack() async throws {
        let url = try await TestPostgres.makeDatabase()
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1, acquireTimeout: .seconds(60)))
        let lent = try await client.withConnection { connection in
            let waiter = Task { try await client.query("SELECT 1") }
            let pid = try await connection.query("SELECT pg_backend_pid()").single(Int32.self)
            await client.shutdown()
            let error = await #expect(throws: PostgresError.self) { try await waiter.value }
            #expect(error?.kind == .clientClosed)
            return pid
        }
        let after = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(after?.kind == .clientClosed)
        // The connection lent out during the shutdown was closed when it came back.
        try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) { other in
            try await eventually {
                try await other.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(lent)").single(Int.self) == 0
            }
        }
    }

    @Test func aCancelledWaiterLeavesTheLineAndTheConnectionServesTheNext() async throws {
        let url = try await TestPostgres.makeDatabase()
        try await PostgresClient.withClient(
            configuration: PostgresConfiguration(connectionString: url, poolSize: 1, acquireTimeout: .seconds(60))
        ) { client in
            try await client.withConnection { _ in
                let waiter = Task { try await client.query("SELECT 1") }
                waiter.cancel()
                await #expect(throws: CancellationError.self) { try await waiter.value }
            }
            #expect(try await client.query("SELECT 3").single(Int32.self) == 3)
        }
    }

    @Test func aBadConnectionStringGivesAClearErrorWithoutThePassword() async throws {
        let cases = [
            "postgresql://gatehouse:hunter2-secret@127.0.0.1:1/gatehouse",
            "host=/nonexistent-socket-dir password=hunter2-secret dbname=gatehouse",
            "hots=localhost password=hunter2-secret",
            "postgresql://gatehouse:hunter2-secret@[::1/broken",
        ]
        for connectionString in cases {
            let client = PostgresClient(
                configuration: PostgresConfiguration(connectionString: connectionString, poolSize: 1, connectTimeout: 2)
            )
            let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
            await client.shutdown()
            #expect(error?.kind == .connection)
            #expect(error?.message.contains("could not connect") == true)
            #expect(error?.description.contains("hunter2") == false, "\(connectionString)")
        }
    }

    @Test func theFirstQueryAfterARestartSucceeds() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.destroy() }
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: cluster.url, poolSize: 3))
        defer { Task { await client.shutdown() } }
        // Open all three connections, so every one of them is broken by the restart.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await client.query("SELECT pg_sleep(0.05)") } }
            try await group.waitForAll()
        }
        let before = try await client.query("SELECT pg_backend_pid()").single(Int32.self)

        try await cluster.restart()

        for _ in 0..<3 {
            let after = try await client.query("SELECT pg_backend_pid()").single(Int32.self)
            #expect(after != before)
        }
        try await client.withTransaction { connection in
            try await connection.query("SELECT 1")
        }
    }

    @Test func whileTheServerIsDownQueriesFailFastThenRecover() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.destroy() }
        // Waits for a connection and for connecting as long as the test may run: a query
        // that fails at all has failed fast, without waiting either out; no stopwatch needed.
        let client = PostgresClient(
            configuration: PostgresConfiguration(connectionString: cluster.url, poolSize: 2, acquireTimeout: .seconds(600), connectTimeout: 600)
        )
        defer { Task { await client.shutdown() } }
        try await client.query("SELECT 1")

        try await cluster.stop()
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(error?.kind == .connection)

        try await cluster.startAgain()
        #expect(try await client.query("SELECT 3").single(Int32.self) == 3)
    }
}
