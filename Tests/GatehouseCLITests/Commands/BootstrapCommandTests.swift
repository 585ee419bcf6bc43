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
        let created = try await GatehouseProcess.run(["tenant", "create", "acme", "--env", "prod", "--env", "staging"], environment: environment)
        #expect(created.status == 0)
        // What the admin API answers for the same creation.
        let tenant = try JSONValue.parse(Array(created.stdout.utf8)).objectValue
        #expect(tenant?["slug"] == "acme" && tenant?["environments"] == ["prod", "staging"])
        #expect(tenant?["id"]?.stringValue.flatMap(UUID.init(uuidString:)) != nil)

        let cases: [([String], String)] = [
            (["tenant", "create", "acme"], "already exists"),
            (["tenant", "create", "Not Valid"], "slug: must be 1 to 63 of a-z"),
            (["tenant", "create", "acme2", "--env", "prod", "--env", "prod"], "environments: must not repeat"),
            (["user", "create", "--tenant", "nope", "alice"], "tenant nope not found"),
            (["admin-key", "create", "--name", "x", "--tenant", "nope"], "no tenant nope"),
            (["admin-key", "create", "--name", ""], "--name"),
        ]
        for (arguments, reason) in cases {
            let run = try await GatehouseProcess.run(arguments, environment: environment)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.split(separator: "\n").first?.contains(reason) == true, "\(arguments): \(run.stderr)")
        }
        let bob = try await GatehouseProcess.run(["user", "create", "--tenant", "acme", "bob"], environment: environment)
        let user = try JSONValue.parse(Array(bob.stdout.utf8)).objectValue
        #expect(bob.status == 0 && user?["username"] == "bob" && user?["role"] == "user" && user?["password"]?.stringValue?.count == 20)
        let duplicate = try await GatehouseProcess.run(["user", "create", "--tenant", "acme", "bob"], environment: environment)
        #expect(duplicate.stderr.split(separator: "\n").first?.contains("already exists") == true)

        // Each environment got exactly one active key, sealed: it opens with the master key
        // and that kid only, and what it holds appears nowhere in the stored bytes.
        let client = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        defer { Task { await client.shutdown() } }
        let stored = try await client.query("SELECT kid, private_key FROM signing_keys WHERE state = 'active'").map {
            try $0.decode((String, Data).self)
        }
        #expect(stored.count == 2)
        let masterKey = try MasterKey(base64: try #require(environment["GATEHOUSE_MASTER_KEY"]))
        for (kid, sealed) in stored {
            let secret = try masterKey.open(sealed, kid: kid)
            #expect(secret.count >= 32 && sealed.range(of: secret) == nil && sealed.range(of: Data("PRIVATE".utf8)) == nil)
            #expect(throws: KeyError.self) { try MasterKey.generate().key.open(sealed, kid: kid) }
            #expect(throws: KeyError.self) { try masterKey.open(sealed, kid: kid + "x") }
        }
        let adminKeys = try await client.query("SELECT count(*) FROM admin_keys").single(Int.self)
        #expect(adminKeys == 0)
        // Audited as the API's creations are, with the command line as the actor.
        let audited = try await client.query("SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY id").map { try $0.decode(String.self) }
        #expect(audited == ["tenant.create", "user.create"])
    }
}
