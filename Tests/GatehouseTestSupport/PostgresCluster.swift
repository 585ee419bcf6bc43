import Foundation

/// A PostgreSQL cluster of a test's own, managed with `deploy/postgres.sh`, for tests
/// that stop or restart the server.
public struct PostgresCluster: Sendable {
    /// The cluster's folder.
    public let directory: String
    /// The connection URI of its `gatehouse` database.
    public let url: String

    /// Creates and starts a cluster in a new temporary folder.
    public static func start() async throws -> PostgresCluster {
        // Short path: unix socket paths are limited to about 100 bytes.
        let directory = "/tmp/gatehouse-test-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await self.script(["start"], directory: directory)
        guard let url = output.split(separator: "\n").last.map(String.init) else {
            throw ClusterError(message: "postgres.sh start printed no URL")
        }
        return PostgresCluster(directory: directory, url: url)
    }

    /// Creates and starts a synchronous streaming standby of `primary` in a new temporary folder.
    public static func standby(of primary: PostgresCluster) async throws -> PostgresCluster {
        let directory = "/tmp/gatehouse-test-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try await self.script(["standby", primary.directory], directory: directory)
        guard let url = output.split(separator: "\n").last.map(String.init) else {
            throw ClusterError(message: "postgres.sh standby printed no URL")
        }
        return PostgresCluster(directory: directory, url: url)
    }

    /// The folder of the cluster's unix socket, a libpq `host`.
    public var socketDirectory: String { self.directory + "/run" }

    /// The command line that runs `deploy/postgres.sh ARGUMENTS` for this cluster.
    public func command(_ arguments: String) -> String {
        "GATEHOUSE_PG_DIR=\(self.directory) GATEHOUSE_PG_FSYNC=off /bin/bash \(Self.scriptPath) \(arguments)"
    }

    /// `pg_ctl restart`: every open connection breaks.
    public func restart() async throws {
        _ = try await Self.script(["restart"], directory: self.directory)
    }

    /// Fast shutdown.
    public func stop() async throws {
        _ = try await Self.script(["stop"], directory: self.directory)
    }

    /// Starts the stopped cluster again.
    public func startAgain() async throws {
        _ = try await Self.script(["start"], directory: self.directory)
    }

    /// Stops the cluster and deletes its folder, waiting on the calling thread: for a `defer`,
    /// where no task can wait.
    public func destroy() {
        _ = try? Subprocess.runBlocking("/bin/bash", [Self.scriptPath, "stop"], environment: Self.environment(self.directory))
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private static let scriptPath = TestPostgres.repositoryRoot.appendingPathComponent("deploy/postgres.sh").path

    private static func environment(_ directory: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["GATEHOUSE_PG_DIR"] = directory
        environment["GATEHOUSE_PG_FSYNC"] = "off"
        return environment
    }

    /// Runs `deploy/postgres.sh` for the cluster in `directory` and returns its stdout. The
    /// wait is on a thread of its own (``Subprocess/run(_:_:environment:input:)``): starting a
    /// cluster takes seconds, and a test blocking one of Swift concurrency's two threads for
    /// that long stalled every suite beside it.
    static func script(_ arguments: [String], directory: String) async throws -> String {
        let output = try await Subprocess.run("/bin/bash", [Self.scriptPath] + arguments, environment: Self.environment(directory))
        guard output.status == 0 else {
            throw ClusterError(message: "postgres.sh \(arguments.joined(separator: " ")) failed: \(output.stderr)")
        }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `deploy/postgres.sh` failed.
public struct ClusterError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }

    public init(message: String) {
        self.message = message
    }
}
