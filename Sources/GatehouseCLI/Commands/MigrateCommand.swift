import ArgumentParser
import GatehousePostgres
import Logging

/// `gatehouse migrate`: applies pending `sql/` migrations; safe to run again or at once.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending sql/ migrations to the database (idempotent)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrationOptions: MigrationOptions

    func run() async throws {
        let migrations = try self.migrationOptions.migrations()
        let applied = try await self.database.withClient { try await PostgresMigrator(client: $0).migrate(migrations) }
        if applied.isEmpty {
            print("database is up to date (\(migrations.count) migrations)")
        }
        for migration in applied {
            print("applied \(migration.name)")
        }
    }
}
