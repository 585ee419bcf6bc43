import ArgumentParser
import Foundation
import GatehousePostgres

/// Where the database is, shared by every command that needs one.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: "A libpq connection string or URI (default: $GATEHOUSE_DATABASE_URL)."
    )
    var databaseURL: String?

    @Option(help: "The most database connections to keep open.")
    var poolSize: Int = 16

    /// The pool configuration, or an error naming what to set.
    func configuration() throws -> PostgresConfiguration {
        guard let url = self.databaseURL ?? ProcessInfo.processInfo.environment["GATEHOUSE_DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("no database given: set GATEHOUSE_DATABASE_URL or pass --database-url")
        }
        guard self.poolSize >= 1 else {
            throw ValidationError("--pool-size must be at least 1")
        }
        return PostgresConfiguration(connectionString: url, poolSize: self.poolSize)
    }

    /// Runs `body` with a client of one connection, shut down afterwards.
    func withClient<Result>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        var configuration = try self.configuration()
        configuration.poolSize = 1
        return try await PostgresClient.withClient(configuration: configuration, body)
    }
}
