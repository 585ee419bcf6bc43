import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// The real `gatehouse` binary, bootstrapped with its own commands and served on a real socket.
@Suite struct ServeCommandTests {
    struct HTTPAnswer {
        var status: Int
        var json: [String: JSONValue]
    }

    /// One request with curl, a real HTTP client over a real socket.
    static func curl(_ method: String, _ url: String, json: [String: String]? = nil, bearer: String? = nil) throws -> HTTPAnswer {
        var arguments = ["-s", "-X", method, "-w", "\n%{http_code}", url]
        if let json {
            arguments += ["-H", "Content-Type: application/json", "-d", JSONValue.object(json.mapValues(JSONValue.string)).jsonText]
        }
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        let output = try Subprocess.run("/usr/bin/curl", arguments, environment: [:])
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let body = lines.dropLast().joined(separator: "\n")
        let object = body.isEmpty ? [:] : ((try? JSONValue.parse(Array(body.utf8)))?.objectValue ?? [:])
        return HTTPAnswer(status: status, json: object)
    }

    @Test func theBootstrappedRealmServesTheSeedFlowAndPyJWTVerifiesItsTokens() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let environment = [
            "GATEHOUSE_DATABASE_URL": url,
            "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64,
        ]
        #expect(try GatehouseProcess.run(["tenant", "create", "demo"], environment: environment).status == 0)
        let created = try GatehouseProcess.run(
            ["user", "create", "--tenant", "demo", "alice", "--password-stdin"],
            environment: environment,
            input: "s3cret pass\n"
        )
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("\"username\":\"alice\"") && !created.stdout.contains("password"))
        let adminKey = try GatehouseProcess.run(["admin-key", "create", "--name", "ops"], environment: environment)
        #expect(adminKey.stdout.split(separator: "\n").last?.hasPrefix("gh_") == true)

        let port = try Subprocess.freePort()
        var serveEnvironment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        serveEnvironment["GATEHOUSE_PUBLIC_URL"] = nil
        let server = try Subprocess.start(GatehouseProcess.executable.path, ["serve", "--port", "\(port)"], environment: serveEnvironment)
        defer { server.stop(signal: SIGKILL) }
        let root = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? Self.curl("GET", root + "/readyz"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "gatehouse serve did not become ready: \(server.stderr)")

        let base = root + "/t/demo/prod"
        let login = try Self.curl("POST", base + "/api/token/", json: ["username": "alice", "password": "s3cret pass"])
        #expect(login.status == 200)
        let access = try #require(login.json["access"]?.stringValue)
        let refresh = try #require(login.json["refresh"]?.stringValue)
        let me = try Self.curl("GET", base + "/api/me/", bearer: access)
        #expect(me.status == 200 && me.json["username"]?.stringValue == "alice")
        let refreshed = try Self.curl("POST", base + "/api/token/refresh/", json: ["refresh": refresh])
        #expect(refreshed.status == 200)
        let newRefresh = try #require(refreshed.json["refresh"]?.stringValue)
        #expect(try Self.curl("POST", base + "/api/logout/", json: ["refresh": newRefresh], bearer: access).status == 205)
        #expect(try Self.curl("POST", base + "/api/token/refresh/", json: ["refresh": newRefresh]).status == 401)

        // A third-party library, given only the base URL, verifies the access token.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/verify_with_pyjwt.py").path
        let python = try Subprocess.run(
            "/usr/bin/env",
            ["python3", script, base, access, "alice"],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(python.status == 0, "PyJWT (installed by deploy/test.sh) failed: \(python.stderr)")
        #expect(python.stdout.hasPrefix("verified "))

        // SIGTERM stops it cleanly.
        #expect(server.stop(signal: SIGTERM) == 0)
    }

    @Test func serveRefusesToStartWithoutAMasterKey() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let run = try GatehouseProcess.run(["serve", "--port", "1"], environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": ""])
        #expect(run.status != 0)
        #expect(run.stderr.split(separator: "\n").first?.contains("GATEHOUSE_MASTER_KEY") == true)
        let bad = try GatehouseProcess.run(
            ["serve", "--port", "1"],
            environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": "c2hvcnQ="]
        )
        #expect(bad.status != 0)
        #expect(bad.stderr.split(separator: "\n").first?.contains("32 random bytes") == true)

        // Keys sealed with one master key; serve started with another refuses to start.
        let created = try GatehouseProcess.run(
            ["tenant", "create", "acme"],
            environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        )
        #expect(created.status == 0)
        let wrong = try GatehouseProcess.run(
            ["serve", "--port", "1"],
            environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        )
        #expect(wrong.status != 0)
        #expect(wrong.stderr.split(separator: "\n").first?.contains("does not open the stored signing keys") == true)
    }
}
