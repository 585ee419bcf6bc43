import GatehousePostgres

/// Round trips per second of a prepared single-row SELECT through GatehousePostgres.
///
///     postgres-roundtrip CONNINFO SECONDS CONNECTIONS TASKS
///
/// One line: round trips per second, with TASKS tasks sharing a pool of CONNECTIONS.
@main
enum PostgresRoundTrip {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 5, let seconds = Double(arguments[2]), let connections = Int(arguments[3]),
            let tasks = Int(arguments[4])
        else {
            print("usage: postgres-roundtrip CONNINFO SECONDS CONNECTIONS TASKS")
            return
        }
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: arguments[1], poolSize: connections))
        // Open every connection and prepare the statement on it before timing.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<connections { group.addTask { try await client.query("SELECT \(0)::int8 AS n") } }
            try await group.waitForAll()
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var count = 0
                    while clock.now < deadline {
                        let value = try await client.query("SELECT \(count)::int8 AS n").single(Int.self)
                        precondition(value == count)
                        count += 1
                    }
                    return count
                }
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        let elapsed = clock.now - start
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(Int(Double(count) / secondsElapsed))
        await client.shutdown()
    }
}
