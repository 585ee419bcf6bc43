import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// The operators' commands give what the admin API gives: the same JSON, byte for byte
/// where nothing changed in between, from the real binary against a real server.
@Suite(.timeLimit(.minutes(5))) struct AdminCommandsTests {
    static func run(_ arguments: [String], _ environment: [String: String], input: String? = nil) async throws -> Subprocess.Output {
        try await GatehouseProcess.run(arguments, environment: environment, input: input)
    }

    @Test func cliAndHTTPGiveTheSameResults() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let environment = ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        #expect(try await Self.run(["tenant", "create", "acme", "--env", "prod"], environment).status == 0)
        let key = try #require(
            try await Self.run(["admin-key", "create", "--name", "ops"], environment).stdout.split(separator: "\n").last.map(String.init)
        )
        let server = try await GatehouseServer.start(environment: environment)
        defer { server.kill() }

        // Import: a file through the CLI, the same lines (other names) through HTTP.
        let hash = "pbkdf2_sha256$1000$salt$" + Data(repeating: 7, count: 32).base64EncodedString()
        func lines(_ prefix: String) -> String {
            (0..<5).map { #"{"username": "\#(prefix)\#($0)", "password_hash": "\#(hash)"}"# }.joined(separator: "\n")
                + "\n{\"username\": \"\(prefix)0\", \"password\": \"pw\"}\n{bad\n"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID()).jsonl")
        try lines("c").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let imported = try await Self.run(["user", "import", "--tenant", "acme", file.path], environment)
        #expect(imported.status != 0 && imported.stderr.hasPrefix("Error: 1 of 7 lines failed"), "\(imported.stderr)")
        let viaHTTP = try await Subprocess.run(
            "/usr/bin/env",
            [
                "curl", "--max-time", "60", "-s", "-X", "POST", "-H", "Authorization: Bearer \(key)", "-H", "Content-Type: application/x-ndjson",
                "--data-binary", lines("h"),
                server.url + "/admin/v1/tenants/acme/users/import",
            ],
            environment: [:]
        )
        let cliReport = imported.stdout.trimmingCharacters(in: .newlines).replacingOccurrences(of: "\"c0\"", with: "\"h0\"")
        #expect(cliReport == viaHTTP.stdout, "\(cliReport)\n\(viaHTTP.stdout)")

        // Keys: list, rotate, and the list again, the same both ways.
        let keysPath = "/admin/v1/tenants/acme/environments/prod/keys"
        #expect(
            try await Self.run(["keys", "list", "--tenant", "acme", "--env", "prod"], environment).stdout
                == (try await server.curl("GET", keysPath, bearer: key).body + "\n")
        )
        let rotated = try await Self.run(["keys", "rotate", "--tenant", "acme", "--env", "prod", "--staged"], environment)
        #expect(rotated.status == 0)
        let next = try #require(
            (try? JSONValue.parse(Array(rotated.stdout.utf8)))?.objectValue?["next"]?.objectValue?["kid"]?.stringValue
        )
        #expect(
            try await Self.run(["keys", "list", "--tenant", "acme", "--env", "prod"], environment).stdout
                == (try await server.curl("GET", keysPath, bearer: key).body + "\n")
        )
        let activated = try await Self.run(["keys", "activate", "--tenant", "acme", "--env", "prod", next], environment)
        #expect(activated.stdout.contains("\"state\":\"active\""))
        // The server sees the CLI's rotation: JWKS has the new key and logins sign with it.
        try await eventually { try await server.curl("GET", "/t/acme/prod/.well-known/jwks.json").body.contains(next) }
        #expect(try await Self.run(["keys", "retire", "--tenant", "acme", "--env", "prod", next], environment).stderr.contains("rotate first"))
        // Revoking the active key from the command line: it stops verifying at once, a fresh
        // key takes its place, and the server stops publishing it.
        let revoked = try await Self.run(["keys", "revoke", "--tenant", "acme", "--env", "prod", next], environment)
        #expect(revoked.status == 0 && revoked.stdout.contains("\"state\":\"revoked\""), "\(revoked.stderr)")
        let afterRevoke = try await Self.run(["keys", "list", "--tenant", "acme", "--env", "prod"], environment).stdout
        #expect(afterRevoke.contains("\"state\":\"active\"") && afterRevoke.components(separatedBy: "\"state\":\"active\"").count == 2)
        try await eventually { try await server.curl("GET", "/t/acme/prod/.well-known/jwks.json").body.contains(next) == false }

        // Revocation: the same counts both ways.
        let cliRevoke = try await Self.run(["revoke", "--tenant", "acme", "--user", "c1", "--user", "c2", "--user", "ghost"], environment)
        let httpRevoke = try await server.curl(
            "POST",
            "/admin/v1/tenants/acme/revocations",
            body: ["usernames": ["h1", "h2", "ghost"]],
            bearer: key
        )
        #expect(cliRevoke.stdout == httpRevoke.body + "\n")
        #expect(cliRevoke.stdout.contains("\"users\":2") && cliRevoke.stdout.contains("\"unknown_usernames\":[\"ghost\"]"))
        let usersFile = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID()).txt")
        try "c3\nc4\n\n".write(to: usersFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: usersFile) }
        #expect(try await Self.run(["revoke", "--tenant", "acme", "--users-file", usersFile.path], environment).stdout.contains("\"users\":2"))
        #expect(try await Self.run(["revoke", "--tenant", "acme", "--all"], environment).stdout.contains("\"users\":10"))
        #expect(try await Self.run(["revoke", "--tenant", "acme"], environment).stderr.contains("exactly one of"))

        // Audit: the same page both ways, with who did what.
        let audit = try await Self.run(["audit", "--tenant", "acme", "--limit", "50"], environment)
        #expect(try await audit.stdout == server.curl("GET", "/admin/v1/audit?tenant=acme&limit=50", bearer: key).body + "\n")
        var actors: [String] = []
        if case .array(let items)? = (try? JSONValue.parse(Array(audit.stdout.utf8)))?.objectValue?["items"] {
            actors = items.compactMap { $0.objectValue?["actor"]?.stringValue }
        }
        #expect(actors.contains("cli") && actors.contains { $0.hasPrefix("admin_key:") })

        // Admin keys: listed without secrets; a revoked key stops working at once.
        let listed = try await Self.run(["admin-key", "list"], environment).stdout
        // The secret is base64url, which may hold "_" itself: all after the second one.
        let secret = String(key.split(separator: "_", maxSplits: 2).last!)
        #expect(listed.contains("\"name\":\"ops\"") && !listed.contains(secret))
        #expect(try await Self.run(["admin-key", "revoke", key], environment).status == 0)
        #expect(try await server.curl("GET", "/admin/v1/tenants", bearer: key).status == 401)
        // Bad input: the reason on stderr's first line, a non-zero exit, nothing written.
        let auditRows = try await Self.run(["audit", "--tenant", "acme", "--limit", "1000"], environment).stdout
        for (arguments, reason) in [
            (["keys", "list", "--tenant", "nope", "--env", "prod"], "tenant nope not found"),
            (["keys", "rotate", "--tenant", "acme", "--env", "prod", "--alg", "none"], "--alg"),
            (["keys", "rotate", "--tenant", "acme", "--env", "prod", "--activate-at", "soon"], "--activate-at"),
            (["keys", "activate", "--tenant", "acme", "--env", "nope", "kid"], "environment nope not found"),
            (["audit", "--since", "yesterday"], "--since"),
            (["audit", "--limit", "0"], "limit"),
            (["user", "import", "--tenant", "acme", "/no/such/file"], "cannot read"),
            (["user", "import", "--tenant", "acme", "--batch-size", "0", file.path], "batch_size"),
            (["revoke", "--tenant", "acme", "--users-file", "/no/such/file"], "cannot read"),
            (["revoke", "--tenant", "acme", "--all", "--user", "c1"], "exactly one of"),
        ] {
            let run = try await Self.run(arguments, environment)
            #expect(run.status != 0 && run.stderr.split(separator: "\n").first?.contains(reason) == true, "\(arguments): \(run.stderr)")
        }
        #expect(try await Self.run(["audit", "--tenant", "acme", "--limit", "1000"], environment).stdout == auditRows)
    }
}
