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
        let client = PostgresClient(configuration: try self.database.configuration().with(poolSize: 1))
        let applied: [PostgresMigrator.Migration]
        do {
            applied = try await PostgresMigrator(client: client).migrate(migrations)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        if applied.isEmpty {
            print("database is up to date (\(migrations.count) migrations)")
        }
        for migration in applied {
            print("applied \(migration.name)")
        }
    }
}

extension PostgresConfiguration {
    func with(poolSize: Int) -> PostgresConfiguration {
        var copy = self
        copy.poolSize = poolSize
        return copy
    }
}
