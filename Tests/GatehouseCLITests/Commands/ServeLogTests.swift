import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `gatehouse serve --log-format json`: one JSON line per request, with its id, and never a
/// secret in the log, whatever the requests carried.
@Suite(.timeLimit(.minutes(5))) struct ServeLogTests {
    @Test func everyRequestLogsOneJSONLineAndNoSecretEverReachesTheLog() async throws {
        let deployment = try await ManyInstancesTests.bootstrap(url: try await TestPostgres.makeDatabase())
        let server = try await GatehouseServer.start(environment: deployment.environment, arguments: ["--log-format", "json"])
        defer { server.kill() }
        let password = "correct-horse-battery-staple-42"
        let created = try await server.curl(
            "POST",
            "/admin/v1/tenants/demo/users",
            body: ["username": "bob", "password": .string(password)],
            bearer: deployment.adminKey
        )
        #expect(created.status == 201, "\(created.body)")
        let login = try await server.curl("POST", "/t/demo/prod/api/token/", body: ["username": "bob", "password": .string(password)])
        let access = try #require(login.json["access"]?.stringValue)
        let refresh = try #require(login.json["refresh"]?.stringValue)
        #expect(try await server.curl("GET", "/t/demo/prod/api/me/", bearer: access).status == 200)
        let rotated = try await server.curl("POST", "/t/demo/prod/api/token/refresh/", body: ["refresh": .string(refresh)])
        #expect(rotated.status == 200)
        #expect(
            try await server.curl("POST", "/t/demo/prod/api/token/", body: ["username": "bob", "password": .string("wrong-" + password)]).status
                == 401
        )
        #expect(try await server.curl("POST", "/t/demo/prod/api/token/verify/", body: ["token": .string(access + "x")]).status == 401)
        #expect(try await server.curl("GET", "/admin/v1/tenants/demo/environments/prod/keys", bearer: deployment.adminKey).status == 200)
        #expect(try await server.curl("GET", "/admin/v1/tenants", bearer: deployment.adminKey + "x").status == 401)

        // A sane X-Request-Id is kept and answered; anything else is replaced.
        let traced = try await Subprocess.run(
            "/usr/bin/env",
            ["curl", "-s", "-i", "-H", "X-Request-Id: trace-1.a:b_c", server.url + "/healthz"],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(traced.stdout.lowercased().contains("x-request-id: trace-1.a:b_c"), "\(traced.stdout)")
        let replaced = try await Subprocess.run(
            "/usr/bin/env",
            ["curl", "-s", "-i", "-H", "X-Request-Id: two words", server.url + "/healthz"],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(replaced.stdout.lowercased().contains("x-request-id: ") && !replaced.stdout.contains("two words"))

        let lines = try await Self.requestLines(server, atLeast: 11)
        let objects = try lines.map { try #require(try JSONValue.parse(Array($0.utf8)).objectValue, "not a JSON object: \($0)") }
        let requests = objects.filter { $0["message"] == "request" }
        for request in requests {
            #expect(request["level"] == "info" && request["request_id"]?.stringValue?.isEmpty == false, "\(request)")
            #expect(request["method"] != nil && request["route"] != nil && request["status"]?.integerValue != nil, "\(request)")
            #expect(request["duration_ms"]?.numberValue != nil, "\(request)")
        }
        let login401 = requests.first { $0["status"]?.integerValue == 401 && $0["method"] == "POST" }
        #expect(login401?["route"]?.stringValue?.contains("tenant") == true, "the route template, not the path: \(requests)")
        #expect(requests.contains { $0["request_id"] == "trace-1.a:b_c" && $0["route"] == "/healthz" })

        let log = server.process.stderr
        // The secret is base64url, which may hold "_" itself: all after the second one.
        let adminSecret = String(deployment.adminKey.split(separator: "_", maxSplits: 2).last ?? "")
        let secrets = [
            "password": password, "access token": access, "refresh token": refresh,
            "new refresh token": rotated.json["refresh"]?.stringValue ?? "", "admin key": deployment.adminKey,
            "admin key secret": adminSecret, "master key": deployment.environment["GATEHOUSE_MASTER_KEY"] ?? "",
            "signature": String(access.split(separator: ".").last ?? ""), "password hash": "$argon2",
        ]
        for (name, secret) in secrets {
            #expect(!secret.isEmpty && !log.contains(secret), "the log holds the \(name)")
        }
    }

    /// The log lines so far, once at least `count` request lines are there (lines are
    /// written as requests end, a moment after the answer).
    static func requestLines(_ server: GatehouseServer, atLeast count: Int) async throws -> [String] {
        var lines: [String] = []
        try await eventually {
            lines = server.process.stderr.split(separator: "\n").map(String.init)
            return lines.filter { $0.contains("\"message\":\"request\"") }.count >= count
        }
        return lines
    }
}
