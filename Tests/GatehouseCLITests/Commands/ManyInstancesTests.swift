import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Several real `gatehouse serve` processes on one PostgreSQL: rotation and revocation reach
/// every instance, load sees no failure through rotations, database outages, `kill -9`
/// during refreshes, and graceful shutdown.
@Suite(.timeLimit(.minutes(5))) struct ManyInstancesTests {
    /// A bootstrapped database: tenant demo/prod without throttles, user alice, a global admin key.
    struct Deployment {
        var environment: [String: String]
        var adminKey: String
    }

    static func bootstrap(url: String) async throws -> Deployment {
        // Instances behind one load balancer share one public URL, hence one issuer.
        let environment = [
            "GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64,
            "GATEHOUSE_PUBLIC_URL": "https://auth.example.test",
        ]
        #expect(try await GatehouseProcess.run(["migrate"], environment: environment).status == 0)
        #expect(try await GatehouseProcess.run(["tenant", "create", "demo"], environment: environment).status == 0)
        let user = try await GatehouseProcess.run(
            ["user", "create", "--tenant", "demo", "alice", "--password-stdin"],
            environment: environment,
            input: "pw\n"
        )
        #expect(user.status == 0, "\(user.stderr)")
        let key =
            try await GatehouseProcess.run(["admin-key", "create", "--name", "tests"], environment: environment).stdout
            .split(separator: "\n").last.map(String.init) ?? ""
        // Before any instance starts, so that none has to hear of it.
        _ = try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) { database in
            try await database.query(
                """
                UPDATE environments SET settings = settings || '{"throttle_anon": null, "throttle_user": null}'::jsonb
                WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'demo')
                """
            )
        }
        return Deployment(environment: environment, adminKey: key)
    }

    static func login(_ server: GatehouseServer) async throws -> (access: String, refresh: String) {
        let answer = try await server.curl("POST", "/t/demo/prod/api/token/", body: ["username": "alice", "password": "pw"])
        return (answer.json["access"]?.stringValue ?? "", answer.json["refresh"]?.stringValue ?? "")
    }

    @Test func aRotationAndARevocationOnOneInstanceReachTheOther() async throws {
        let deployment = try await Self.bootstrap(url: try await TestPostgres.makeDatabase())
        let a = try await GatehouseServer.start(environment: deployment.environment)
        defer { a.kill() }
        let b = try await GatehouseServer.start(environment: deployment.environment)
        defer { b.kill() }
        let (access, _) = try await Self.login(b)
        #expect(try await b.curl("GET", "/t/demo/prod/api/me/", bearer: access).status == 200)

        let rotated = try await a.curl(
            "POST",
            "/admin/v1/tenants/demo/environments/prod/keys/rotate",
            body: ["mode": "immediate"],
            bearer: deployment.adminKey
        )
        let kid = try #require(rotated.json["active"]?.objectValue?["kid"]?.stringValue)
        // How fast is deploy/bench/propagation.sh's to measure; here, that it happens.
        try await eventually(within: .seconds(10)) {
            TokenInspection.header(try await Self.login(b).access)["kid"]?.stringValue == kid
        }

        let revoked = try await a.curl("POST", "/admin/v1/tenants/demo/revocations", body: ["usernames": ["alice"]], bearer: deployment.adminKey)
        #expect(revoked.json["users"] == 1)
        try await eventually(within: .seconds(10)) { try await b.curl("GET", "/t/demo/prod/api/me/", bearer: access).status == 401 }
    }

    @Test func immediateRotationsUnderLoadOnTwoInstancesFailNoRequest() async throws {
        let deployment = try await Self.bootstrap(url: try await TestPostgres.makeDatabase())
        let a = try await GatehouseServer.start(environment: deployment.environment)
        defer { a.kill() }
        let b = try await GatehouseServer.start(environment: deployment.environment)
        defer { b.kill() }

        // Two clients, each logging in on one instance and using the tokens on the other,
        // until the stop file appears; every status goes to their output.
        let stop = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID())").path
        let script = """
            login="$1"; other="$2"
            while [ ! -e "\(stop)" ]; do
              pair="$(curl -s -X POST -H 'Content-Type: application/json' -d '{"username": "alice", "password": "pw"}' "$login/t/demo/prod/api/token/")"
              access="$(echo "$pair" | jq -r .access)"; refresh="$(echo "$pair" | jq -r .refresh)"
              curl -s -o /dev/null -w 'me %{http_code}\\n' -H "Authorization: Bearer $access" "$other/t/demo/prod/api/me/"
              curl -s -o /dev/null -w 'verify %{http_code}\\n' -X POST -H 'Content-Type: application/json' -d "{\\"token\\": \\"$access\\"}" "$other/t/demo/prod/api/token/verify/"
              curl -s -o /dev/null -w 'refresh %{http_code}\\n' -X POST -H 'Content-Type: application/json' -d "{\\"refresh\\": \\"$refresh\\"}" "$other/t/demo/prod/api/token/refresh/"
              [ -n "$access" ] && [ "$access" != null ] && echo "login 200" || echo "login failed"
            done
            """
        let environment = ProcessInfo.processInfo.environment
        let clients = [
            try Subprocess.start("/bin/bash", ["-c", script, "load", a.url, b.url], environment: environment),
            try Subprocess.start("/bin/bash", ["-c", script, "load", b.url, a.url], environment: environment),
        ]
        var kids: Set<String> = []
        // As many rotations as a key ring holds keys, less the one active at the start.
        let rotations = KeyLifecycle.maximumRingKeys - 1
        for _ in 0..<rotations {
            let rotated = try await a.curl(
                "POST",
                "/admin/v1/tenants/demo/environments/prod/keys/rotate",
                body: ["mode": "immediate"],
                bearer: deployment.adminKey
            )
            #expect(rotated.status == 200)
            kids.insert(rotated.json["active"]?.objectValue?["kid"]?.stringValue ?? "")
            try await Task.sleep(for: .milliseconds(150))
        }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: stop) }
        var lines: [Substring] = []
        for client in clients { lines += try await client.wait().stdout.split(separator: "\n") }
        #expect(kids.count == rotations)
        #expect(lines.count > 40, "the load loop made too few requests to mean anything: \(lines.count)")
        let failed = lines.filter { !$0.hasSuffix(" 200") }
        #expect(failed.isEmpty, "\(failed.count) of \(lines.count) failed: \(failed.prefix(5))")
    }

    @Test func whilePostgreSQLIsDownVerifyAnswersLoginIs503AndAllRecoversAfter() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.destroy() }
        let deployment = try await Self.bootstrap(url: cluster.url)
        let server = try await GatehouseServer.start(environment: deployment.environment)
        defer { server.kill() }
        let (access, refresh) = try await Self.login(server)
        #expect(try await server.curl("GET", "/t/demo/prod/api/me/", bearer: access).status == 200)

        try await cluster.stop()
        for _ in 0..<5 {
            #expect(try await server.curl("POST", "/t/demo/prod/api/token/verify/", body: ["token": .string(access)]).status == 200)
            #expect(try await server.curl("GET", "/t/demo/prod/api/me/", bearer: access).status == 200)
        }
        // At once, not after the pool's wait: curl gives up (status 0) before that would end.
        let login = try await server.curl("POST", "/t/demo/prod/api/token/", body: ["username": "alice", "password": "pw"], maxTime: 4)
        #expect(login.status == 503 && login.json["code"] == "unavailable")
        #expect(try await server.curl("POST", "/t/demo/prod/api/token/refresh/", body: ["refresh": .string(refresh)]).status == 503)
        #expect(try await server.curl("GET", "/readyz").status == 503)

        try await cluster.startAgain()
        try await eventually(within: .seconds(30)) { try await Self.login(server).access.isEmpty == false }
        #expect(try await server.curl("POST", "/t/demo/prod/api/token/refresh/", body: ["refresh": .string(refresh)]).status == 200)
    }

    @Test func killingAnInstanceDuringRefreshesLeavesEveryTokenFamilyConsistent() async throws {
        let url = try await TestPostgres.makeDatabase()
        let deployment = try await Self.bootstrap(url: url)
        let victim = try await GatehouseServer.start(environment: deployment.environment)
        defer { victim.kill() }
        var refreshes: [String] = []
        for _ in 0..<8 { refreshes.append(try await Self.login(victim).refresh) }
        // Eight clients refresh their chains as fast as they can; the instance dies under them.
        let script = """
            token="$2"
            for _ in $(seq 200); do
              answer="$(curl -s -X POST -H 'Content-Type: application/json' -d "{\\"refresh\\": \\"$token\\"}" "$1/t/demo/prod/api/token/refresh/")" || exit 0
              next="$(echo "$answer" | jq -r .refresh 2>/dev/null)"
              [ -n "$next" ] && [ "$next" != null ] || exit 0
              token="$next"
            done
            """
        let clients = try refreshes.map {
            try Subprocess.start("/bin/bash", ["-c", script, "refresh", victim.url, $0], environment: ProcessInfo.processInfo.environment)
        }
        try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) { database in
            // Kill it once the clients are well under way (three refreshes each on average),
            // however slowly this machine starts them.
            let started = ContinuousClock.now
            while try await database.query("SELECT count(*) FROM refresh_tokens WHERE revoked_reason = 'rotated'").single(Int.self) < 24,
                ContinuousClock.now - started < .seconds(20)
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            victim.kill()
            for client in clients { _ = try await client.wait() }

            let rotations = try await database.query("SELECT count(*) FROM refresh_tokens WHERE revoked_reason = 'rotated'").single(Int.self)
            #expect(rotations >= 24, "too few refreshes before the kill to mean anything: \(rotations)")
            // Every family has exactly one token left to use: none lost, none doubled.
            let families = try await database.query(
                "SELECT family_id, count(*) FILTER (WHERE revoked_at IS NULL) FROM refresh_tokens GROUP BY family_id"
            ).map { try $0.decode((UUID, Int).self).1 }
            #expect(families.count == 8 && families.allSatisfy { $0 == 1 }, "\(families)")
            // No token was rotated without its successor, nor has a successor while still valid.
            let broken = try await database.query(
                """
                SELECT count(*) FROM refresh_tokens p
                WHERE (p.revoked_reason = 'rotated') <> EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_jti = p.jti)
                   OR (SELECT count(*) FROM refresh_tokens c WHERE c.parent_jti = p.jti) > 1
                """
            ).single(Int.self)
            #expect(broken == 0)
        }
    }

    @Test func sigtermFinishesTheRequestInFlightAndExitsCleanly() async throws {
        let deployment = try await Self.bootstrap(url: try await TestPostgres.makeDatabase())
        // A deadline well past the import's time: 60 hashes take some 3 s alone, and over 30 s
        // (the default deadline) with the whole suite running on two cores.
        let server = try await GatehouseServer.start(environment: deployment.environment, arguments: ["--graceful-timeout", "240"])
        defer { server.kill() }
        // An import of 60 users with plain passwords: each is hashed with Argon2id at the
        // default cost, so the request runs for a good while after SIGTERM arrives.
        let lines = (0..<60).map { #"{"username": "user\#($0)", "password": "pw\#($0)"}"# }.joined(separator: "\n")
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let client = try Subprocess.start(
            "/usr/bin/env",
            [
                "curl", "--trace-ascii", trace, "-s", "-w", "\n%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \(deployment.adminKey)",
                "-H", "Content-Type: application/x-ndjson", "--data-binary", lines, server.url + "/admin/v1/tenants/demo/users/import",
            ],
            environment: [:]
        )
        // In flight: curl has sent the whole body, and the server holds the request (its
        // in-flight gauge counts it beside the scrape itself). A sent body alone is not
        // enough on a loaded machine: a connection whose request the server has not read yet
        // is closed at shutdown, not served.
        try await eventually { (try? String(contentsOfFile: trace, encoding: .utf8))?.contains("=> Send data") == true }
        try await eventually(within: .seconds(60)) {
            let metrics = (try? await server.curl("GET", "/metrics"))?.body ?? ""
            return metrics.split(separator: "\n").contains { line in
                line.hasPrefix("gatehouse_http_requests_in_flight ") && (Double(line.split(separator: " ").last ?? "") ?? 0) >= 2
            }
        }
        let status = await server.stop(signal: SIGTERM)
        let output = try await client.wait().stdout
        #expect(status == 0, "\(server.process.stderr)")
        #expect(output.hasSuffix("\n200") && output.contains(#""created":60"#), "\(output)")
        // It stopped accepting: nothing answers any more.
        #expect(try await server.curl("GET", "/healthz").status == 0)
    }
}
