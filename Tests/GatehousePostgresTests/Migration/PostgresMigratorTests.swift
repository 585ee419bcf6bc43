import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(5))) struct PostgresMigratorTests {
    @Test func migratingTwiceChangesNothing() async throws {
        try await TestPostgres.withClient { client in
            let migrations = try TestPostgres.migrations()
            let migrator = PostgresMigrator(client: client)
            let first = try await migrator.migrate(migrations)
            #expect(first.map(\.version) == migrations.map(\.version))
            let schema = try await Self.schemaFingerprint(client)

            let second = try await migrator.migrate(migrations)
            #expect(second.isEmpty)
            #expect(try await Self.schemaFingerprint(client) == schema)
            #expect(try await client.query("SELECT count(*) FROM gatehouse_migrations").single(Int.self) == migrations.count)
        }
    }

    @Test func concurrentMigratorsApplyEachFileOnce() async throws {
        let url = try await TestPostgres.makeDatabase()
        let migrations = try TestPostgres.migrations()
        let applied = try await withThrowingTaskGroup(of: [PostgresMigrator.Migration].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let client = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
                    defer { Task { await client.shutdown() } }
                    return try await PostgresMigrator(client: client).migrate(migrations)
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(applied.map(\.version) == migrations.map(\.version))
    }

    @Test func aChangedMigrationIsRefused() async throws {
        try await TestPostgres.withClient { client in
            let original = PostgresMigrator.Migration(version: 1, name: "0001_table", sql: "CREATE TABLE a (x int);")
            try await PostgresMigrator(client: client).migrate([original])
            var edited = original
            edited.sql = "CREATE TABLE a (x int, y int);"
            let error = await #expect(throws: MigrationError.self) {
                try await PostgresMigrator(client: client).migrate([edited])
            }
            #expect(error?.message.contains("changed after it was applied") == true)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestPostgres.withClient { client in
            let good = PostgresMigrator.Migration(version: 1, name: "0001_good", sql: "CREATE TABLE good (x int);")
            let bad = PostgresMigrator.Migration(
                version: 2,
                name: "0002_bad",
                sql: "CREATE TABLE half (x int); INSERT INTO half VALUES (1); SELECT 1/0;"
            )
            await #expect(throws: MigrationError.self) {
                try await PostgresMigrator(client: client).migrate([good, bad])
            }
            let halfIsGone = try await client.query("SELECT to_regclass('half') IS NULL").single(Bool.self)
            let goodIsThere = try await client.query("SELECT to_regclass('good') IS NOT NULL").single(Bool.self)
            let versions = try await client.query("SELECT array_agg(version) FROM gatehouse_migrations").single([Int32].self)
            #expect(halfIsGone && goodIsThere)
            #expect(versions == [1])
        }
    }

    @Test func misnamedFilesAreReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("schema.sql"), atomically: true, encoding: .utf8)
        let error = #expect(throws: MigrationError.self) { try PostgresMigrator.migrations(in: directory) }
        #expect(error?.message.contains("schema.sql") == true)
    }

    /// Every column of every table, in order: equal fingerprints mean an unchanged schema.
    static func schemaFingerprint(_ client: PostgresClient) async throws -> [String] {
        try await client.query(
            """
            SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns
            WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
            """
        ).map { try $0.decode(String.self) }
    }
}
