import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(5))) struct PostgresListenerTests {
    @Test func aNotifyReachesTheListener() async throws {
        let url = try await TestPostgres.makeDatabase()
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        defer { Task { await client.shutdown() } }
        let listener = PostgresListener(configuration: client.configuration, channels: ["gatehouse_keys", "other"])
        let running = Task { try await listener.run() }
        defer { running.cancel() }

        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)
        try await client.notify(channel: "gatehouse_keys", payload: "rotated ⚿")
        try await client.notify(channel: "unlistened", payload: "ignored")
        try await client.notify(channel: "other", payload: "")
        guard case .notification(let first) = await events.next() else {
            Issue.record("expected a notification")
            return
        }
        #expect(first.channel == "gatehouse_keys")
        #expect(first.payload == "rotated ⚿")
        guard case .notification(let second) = await events.next() else {
            Issue.record("expected a notification")
            return
        }
        #expect(second.channel == "other")
        #expect(second.payload == "")
    }

    @Test func theListenerSaysItIsAwayAndListensAgainAfterARestart() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.destroy() }
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: cluster.url, poolSize: 1))
        defer { Task { await client.shutdown() } }
        let listener = PostgresListener(configuration: client.configuration, channels: ["gatehouse_users"])
        let running = Task { try await listener.run() }
        defer { running.cancel() }

        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)
        try await cluster.restart()
        #expect(await events.next() == .disconnected)
        var next = await events.next()
        while next == .disconnected { next = await events.next() }
        #expect(next == .connected)
        try await client.notify(channel: "gatehouse_users", payload: "after restart")
        guard case .notification(let notification) = await events.next() else {
            Issue.record("expected a notification")
            return
        }
        #expect(notification.payload == "after restart")
    }
}
