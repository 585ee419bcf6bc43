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
        let output = try self.script(["start"], directory: directory)
        guard let url = output.split(separator: "\n").last.map(String.init) else {
            throw ClusterError(message: "postgres.sh start printed no URL")
        }
        return PostgresCluster(directory: directory, url: url)
    }

    /// Creates and starts a synchronous streaming standby of `primary` in a new temporary folder.
    public static func standby(of primary: PostgresCluster) async throws -> PostgresCluster {
        let directory = "/tmp/gatehouse-test-\(UUID().uuidString.prefix(8).lowercased())"
        let output = try self.script(["standby", primary.directory], directory: directory)
        guard let url = output.split(separator: "\n").last.map(String.init) else {
            throw ClusterError(message: "postgres.sh standby printed no URL")
        }
        return PostgresCluster(directory: directory, url: url)
    }

    /// The folder of the cluster's unix socket, a libpq `host`.
    public var socketDirectory: String { self.directory + "/run" }

    /// The command line that runs `deploy/postgres.sh ARGUMENTS` for this cluster.
    public func command(_ arguments: String) -> String {
        let script = TestPostgres.repositoryRoot.appendingPathComponent("deploy/postgres.sh").path
        return "GATEHOUSE_PG_DIR=\(self.directory) GATEHOUSE_PG_FSYNC=off /bin/bash \(script) \(arguments)"
    }

    /// `pg_ctl restart`: every open connection breaks.
    public func restart() throws {
        _ = try Self.script(["restart"], directory: self.directory)
    }

    /// Fast shutdown.
    public func stop() throws {
        _ = try Self.script(["stop"], directory: self.directory)
    }

    /// Starts the stopped cluster again.
    public func startAgain() throws {
        _ = try Self.script(["start"], directory: self.directory)
    }

    /// Stops the cluster and deletes its folder.
    public func destroy() {
        _ = try? self.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Runs `deploy/postgres.sh` for the cluster in `directory` and returns its stdout.
    static func script(_ arguments: [String], directory: String) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["GATEHOUSE_PG_DIR"] = directory
        environment["GATEHOUSE_PG_FSYNC"] = "off"
        let script = TestPostgres.repositoryRoot.appendingPathComponent("deploy/postgres.sh").path
        let output = try Subprocess.runBlocking("/bin/bash", [script] + arguments, environment: environment)
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
