import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// The real `gatehouse` binary, bootstrapped with its own commands and served on a real socket.
@Suite(.timeLimit(.minutes(5))) struct ServeCommandTests {
    @Test func theBootstrappedRealmServesTheSeedFlowAndPyJWTVerifiesItsTokens() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let environment = [
            "GATEHOUSE_DATABASE_URL": url,
            "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64,
        ]
        #expect(try await GatehouseProcess.run(["tenant", "create", "demo"], environment: environment).status == 0)
        let created = try await GatehouseProcess.run(
            ["user", "create", "--tenant", "demo", "alice", "--password-stdin"],
            environment: environment,
            input: "s3cret pass\n"
        )
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("\"username\":\"alice\"") && !created.stdout.contains("password"))
        let adminKey = try await GatehouseProcess.run(["admin-key", "create", "--name", "ops"], environment: environment)
        #expect(adminKey.stdout.split(separator: "\n").last?.hasPrefix("gh_") == true)

        let server = try await GatehouseServer.start(environment: environment)
        defer { server.kill() }
        let base = "/t/demo/prod"
        let login = try await server.curl("POST", base + "/api/token/", body: ["username": "alice", "password": "s3cret pass"])
        #expect(login.status == 200)
        let access = try #require(login.json["access"]?.stringValue)
        let refresh = try #require(login.json["refresh"]?.stringValue)
        let me = try await server.curl("GET", base + "/api/me/", bearer: access)
        #expect(me.status == 200 && me.json["username"]?.stringValue == "alice")
        let refreshed = try await server.curl("POST", base + "/api/token/refresh/", body: ["refresh": .string(refresh)])
        #expect(refreshed.status == 200)
        let newRefresh = try #require(refreshed.json["refresh"]?.stringValue)
        #expect(try await server.curl("POST", base + "/api/logout/", body: ["refresh": .string(newRefresh)], bearer: access).status == 205)
        #expect(try await server.curl("POST", base + "/api/token/refresh/", body: ["refresh": .string(newRefresh)]).status == 401)

        // A third-party library, given only the base URL, verifies the access token.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/verify_with_pyjwt.py").path
        let interpreter = try await TestPython.interpreter(importing: ["jwt", "cryptography"])
        let python = try await Subprocess.run(
            "/usr/bin/env",
            [interpreter, script, server.url + base, access, "alice"],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(python.status == 0, "PyJWT (python3-jwt) failed: \(python.stderr)")
        #expect(python.stdout.hasPrefix("verified "))

        // SIGTERM stops it cleanly.
        #expect(await server.stop(signal: SIGTERM) == 0)
    }

    /// Graceful shutdown waits for the requests in flight, but no longer than
    /// `--graceful-timeout`: a client that sent half a request, under a far longer
    /// `--request-timeout`, does not keep the process alive. It exits with status 1 and a
    /// line that says why.
    @Test func gracefulShutdownEndsAtTheGracefulTimeoutThoughARequestIsStillInFlight() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let environment = ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        #expect(try await GatehouseProcess.run(["tenant", "create", "demo"], environment: environment).status == 0)
        let server = try await GatehouseServer.start(environment: environment, arguments: ["--graceful-timeout", "1", "--request-timeout", "600"])
        defer { server.kill() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/half_request.py").path
        let holder = try Subprocess.start(
            "/usr/bin/env",
            ["timeout", "240", "python3", script, ClientLimitsTests.port(server)],
            environment: ProcessInfo.processInfo.environment
        )
        defer { holder.kill() }
        try await eventually(within: .seconds(60)) { holder.stdout.contains("holding") }
        // The server is answering it: in flight beside the /metrics request itself.
        try await eventually(within: .seconds(60)) {
            let metrics = try await server.curl("GET", "/metrics").body
            return (PrometheusText.value(of: "gatehouse_http_requests_in_flight", in: metrics) ?? 0) >= 2
        }

        kill(server.process.pid, SIGTERM)
        let exit = try await server.process.wait()
        #expect(exit.status == 1)
        #expect(exit.stderr.contains("graceful shutdown did not finish in time"), "\(exit.stderr)")
    }

    @Test func serveRefusesATrustedProxyThatIsNotAnAddressBlockNamingIt() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let environment = ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        let flag = try await GatehouseProcess.run(
            ["serve", "--port", "1", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "10.0.0.0/33"],
            environment: environment
        )
        #expect(flag.status != 0)
        #expect(flag.stderr.split(separator: "\n").first?.contains("10.0.0.0/33") == true, "\(flag.stderr)")
        var fromEnvironment = environment
        fromEnvironment["GATEHOUSE_TRUSTED_PROXIES"] = "192.0.2.1, proxy.internal"
        let variable = try await GatehouseProcess.run(["serve", "--port", "1"], environment: fromEnvironment)
        #expect(variable.status != 0)
        #expect(variable.stderr.split(separator: "\n").first?.contains("proxy.internal") == true, "\(variable.stderr)")
    }

    /// Native TLS with a self-signed certificate made here: curl trusts that certificate
    /// only, so the handshake is checked, not skipped.
    @Test func serveSpeaksHTTPSWithACertificateAndKey() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-tls-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (certificate, key) = (folder.appendingPathComponent("cert.pem").path, folder.appendingPathComponent("key.pem").path)
        let openssl = try await Subprocess.run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(openssl.status == 0, "\(openssl.stderr)")
        let deployment = try await ManyInstancesTests.bootstrap(url: try await TestPostgres.makeDatabase())
        let server = try await GatehouseServer.start(
            environment: deployment.environment,
            arguments: ["--tls-cert", certificate, "--tls-key", key],
            trustedCertificate: certificate
        )
        defer { server.kill() }
        #expect(server.url.hasPrefix("https://"))
        let login = try await server.curl("POST", "/t/demo/prod/api/token/", body: ["username": "alice", "password": "pw"])
        #expect(login.status == 200 && login.json["access"] != nil)
        // Plain HTTP on the TLS port gets no answer.
        let http = try await Subprocess.run(
            "/usr/bin/env",
            [
                "curl", "-s", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                server.url.replacingOccurrences(of: "https://", with: "http://") + "/healthz",
            ],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(http.stdout != "200")
        // TLS 1.1 and older are refused (RFC 8996); 1.2 is accepted.
        for (version, accepted) in [("1.1", false), ("1.2", true)] {
            let handshake = try await Subprocess.run(
                "/usr/bin/env",
                [
                    "curl", "-s", "--max-time", "10", "--cacert", certificate, "--tlsv\(version)", "--tls-max", version,
                    "--ciphers", "DEFAULT@SECLEVEL=0", "-o", "/dev/null", "-w", "%{http_code}", server.url + "/healthz",
                ],
                environment: ProcessInfo.processInfo.environment
            )
            #expect((handshake.stdout == "200") == accepted, "TLS \(version): \(handshake.stdout) \(handshake.stderr)")
        }

        let alone = try await GatehouseProcess.run(["serve", "--port", "1", "--tls-cert", certificate], environment: deployment.environment)
        #expect(alone.status != 0 && alone.stderr.contains("--tls-cert and --tls-key go together"), "\(alone.stderr)")
        let missing = try await GatehouseProcess.run(
            ["serve", "--port", "1", "--tls-cert", folder.appendingPathComponent("none.pem").path, "--tls-key", key],
            environment: deployment.environment
        )
        #expect(missing.status != 0 && missing.stderr.contains("cannot read the TLS certificate or key"), "\(missing.stderr)")
    }

    @Test func serveRefusesToStartWithoutAMasterKey() async throws {
        let url = try await TestPostgres.makeDatabase(migrated: true)
        let run = try await GatehouseProcess.run(["serve", "--port", "1"], environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": ""])
        #expect(run.status != 0)
        #expect(run.stderr.split(separator: "\n").first?.contains("GATEHOUSE_MASTER_KEY") == true)
        let bad = try await GatehouseProcess.run(
            ["serve", "--port", "1"],
            environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": "c2hvcnQ="]
        )
        #expect(bad.status != 0)
        #expect(bad.stderr.split(separator: "\n").first?.contains("32 random bytes") == true)

        // Keys sealed with one master key; serve started with another refuses to start.
        let created = try await GatehouseProcess.run(
            ["tenant", "create", "acme"],
            environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        )
        #expect(created.status == 0)
        let wrong = try await GatehouseProcess.run(
            ["serve", "--port", "1"],
            environment: ["GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().base64]
        )
        #expect(wrong.status != 0)
        #expect(wrong.stderr.split(separator: "\n").first?.contains("does not open the stored signing keys") == true)
    }
}
