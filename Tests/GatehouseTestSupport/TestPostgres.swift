public import Foundation
public import GatehousePostgres
import Synchronization

/// PostgreSQL for the tests: the server named by `GATEHOUSE_TEST_DATABASE_URL`, or else a
/// throwaway cluster started with `deploy/postgres.sh` (the same script the README's run
/// command uses) and stopped when the test process exits.
///
/// Each test that writes gets a database of its own (``makeDatabase(migrated:)``), so tests
/// run in parallel without seeing each other's rows.
public enum TestPostgres {
    /// The repository root, found from this file's path.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The migrations in the repository's `sql/`.
    public static func migrations() throws -> [PostgresMigrator.Migration] {
        try PostgresMigrator.migrations(in: self.repositoryRoot.appendingPathComponent("sql"))
    }

    private static let server = Task<String, any Error> {
        if let url = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_DATABASE_URL"], !url.isEmpty {
            return url
        }
        let cluster = try await PostgresCluster.start()
        ownedClusters.withLock { $0.append(cluster) }
        atexit {
            for cluster in ownedClusters.withLock({ $0 }) { cluster.destroy() }
        }
        return cluster.url
    }

    /// The URL of the shared test server's maintenance database.
    public static func serverURL() async throws -> String {
        try await self.server.value
    }

    /// Creates an empty database on the shared server.
    /// - Parameter migrated: apply the repository's migrations to it.
    /// - Returns: its connection URI.
    public static func makeDatabase(migrated: Bool = false) async throws -> String {
        let serverURL = try await self.serverURL()
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: serverURL, poolSize: 1)) {
            // CREATE DATABASE takes no parameters; the name is generated above.
            try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        let url = Self.url(serverURL, database: name)
        if migrated {
            _ = try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) {
                try await PostgresMigrator(client: $0).migrate(try self.migrations())
            }
        }
        return url
    }

    /// Runs `body` with a client on a fresh database, and shuts the client down after.
    /// - Parameters:
    ///   - migrated: apply the repository's migrations first.
    ///   - poolSize: the client's pool size.
    ///   - body: the test.
    public static func withClient<Result>(
        migrated: Bool = false,
        poolSize: Int = 4,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let url = try await self.makeDatabase(migrated: migrated)
        // The whole suite runs at once on two cores: a starved test waits longer for a
        // connection than a server should (5 s, then 503), and its assertions are about
        // what is decided, not about overload.
        return try await PostgresClient.withClient(
            configuration: PostgresConfiguration(connectionString: url, poolSize: poolSize, acquireTimeout: .seconds(30)),
            body
        )
    }

    /// `url` (a `postgresql://.../db?...` URI) with another database name.
    public static func url(_ url: String, database: String) -> String {
        guard let scheme = url.range(of: "://") else { return url + " dbname=\(database)" }
        let afterScheme = url[scheme.upperBound...]
        let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let queryStart = afterScheme[pathStart...].firstIndex(of: "?") ?? afterScheme.endIndex
        return String(url[..<pathStart]) + "/" + database + String(url[queryStart...])
    }

    private static let ownedClusters = Mutex<[PostgresCluster]>([])
}
