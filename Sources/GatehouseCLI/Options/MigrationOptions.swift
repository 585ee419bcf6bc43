import ArgumentParser
import Foundation
import GatehousePostgres

/// Where the `sql/` migration files are.
struct MigrationOptions: ParsableArguments {
    @Option(help: "The folder of NNNN_*.sql migration files (default: $GATEHOUSE_SQL_DIR, else the sql/ folder of the source tree).")
    var sqlDir: String?

    /// The migrations, read from the first folder that is given or exists.
    func migrations() throws -> [PostgresMigrator.Migration] {
        try PostgresMigrator.migrations(in: self.directory())
    }

    private func directory() -> URL {
        if let sqlDir { return URL(fileURLWithPath: sqlDir) }
        if let sqlDir = ProcessInfo.processInfo.environment["GATEHOUSE_SQL_DIR"], !sqlDir.isEmpty {
            return URL(fileURLWithPath: sqlDir)
        }
        // Built from source: Sources/GatehouseCLI/Options/ -> the repository's sql/.
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql")
    }
}
