import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// `tenant create`, `user create` and `admin-key create`: results and errors as scripts see them.
@Suite(.timeLimit(.minutes(5))) struct BootstrapCommandTests {
    @Test func commandsReportConflictsAndBadInputOnTheFirstLineOfStderr() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let environment = ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        let created = try GatehouseProcess.run(["tenant", "create", "acme", "--env", "prod", "--env", "staging"], environment: environment)
        #expect(created.status == 0)
        #expect(UUID(uuidString: created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)

        let cases: [([String], String)] = [
            (["tenant", "create", "acme"], "already exists"),
            (["tenant", "create", "Not Valid"], "invalid slug"),
            (["user", "create", "--tenant", "nope", "alice"], "no tenant nope"),
            (["admin-key", "create", "--name", "x", "--tenant", "nope"], "no tenant nope"),
            (["admin-key", "create", "--name", ""], "--name"),
        ]
        for (arguments, reason) in cases {
            let run = try GatehouseProcess.run(arguments, environment: environment)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.split(separator: "\n").first?.contains(reason) == true, "\(arguments): \(run.stderr)")
        }
        #expect(try GatehouseProcess.run(["user", "create", "--tenant", "acme", "bob"], environment: environment).status == 0)
        let duplicate = try GatehouseProcess.run(["user", "create", "--tenant", "acme", "bob"], environment: environment)
        #expect(duplicate.stderr.split(separator: "\n").first?.contains("already exists") == true)

        // Each environment got exactly one active key, sealed: no PEM in the database.
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        defer { Task { await client.shutdown() } }
        let keys = try await client.query(
            "SELECT count(*), count(*) FILTER (WHERE position('PRIVATE'::bytea IN private_key) > 0) FROM signing_keys WHERE state = 'active'"
        ).single((Int, Int).self)
        #expect(keys.0 == 2 && keys.1 == 0)
        let adminKeys = try await client.query("SELECT count(*) FROM admin_keys").single(Int.self)
        #expect(adminKeys == 0)
    }
}
