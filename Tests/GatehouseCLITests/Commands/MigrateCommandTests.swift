import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(5))) struct MigrateCommandTests {
    @Test func twoProcessesMigratingAtOnceApplyEachFileOnce() async throws {
        let url = try await TestPostgres.makeDatabase()
        let runs = try await withThrowingTaskGroup(of: Subprocess.Output.self) { group in
            for _ in 0..<2 {
                group.addTask { try await GatehouseProcess.run(["migrate"], environment: ["GATEHOUSE_DATABASE_URL": url]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for run in runs {
            #expect(run.status == 0, "\(run.stderr)")
        }
        let migrations = try TestPostgres.migrations()
        let appliedLines = runs.flatMap { $0.stdout.split(separator: "\n") }.filter { $0.hasPrefix("applied ") }
        #expect(appliedLines.count == migrations.count)

        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        defer { Task { await client.shutdown() } }
        let versions = try await client.query("SELECT version FROM gatehouse_migrations ORDER BY version").map {
            try $0.decode(Int.self)
        }
        #expect(versions == migrations.map(\.version))

        let again = try await GatehouseProcess.run(["migrate"], environment: ["GATEHOUSE_DATABASE_URL": url])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("database is up to date"))
    }

    @Test func aBadDatabaseURLFailsWithTheReasonFirstAndNoPassword() async throws {
        let run = try await GatehouseProcess.run(
            ["migrate", "--database-url", "postgresql://gatehouse:hunter2-secret@127.0.0.1:1/gatehouse"],
            environment: [:]
        )
        #expect(run.status != 0)
        let firstLine = run.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.contains("could not connect to PostgreSQL"))
        #expect(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"))
    }

    @Test func noDatabaseURLSaysWhatToSet() async throws {
        let run = try await GatehouseProcess.run(["migrate"], environment: ["GATEHOUSE_DATABASE_URL": ""])
        #expect(run.status != 0)
        #expect(run.stderr.split(separator: "\n").first?.contains("GATEHOUSE_DATABASE_URL") == true)
    }
}
