/// Waits until `condition` holds, looking every 10 ms: the tests' one way to wait for
/// something another task or process does. It fails with ``ClusterError`` once `limit` has
/// passed; the limit is generous, since it bounds a wait and measures nothing.
public func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ClusterError(message: "condition not met within \(limit)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
