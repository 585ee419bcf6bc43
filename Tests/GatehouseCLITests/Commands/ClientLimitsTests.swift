import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `gatehouse serve`'s client limits, met over raw sockets (`Scripts/client_limits.py`):
/// a byte-a-second client and an idle connection are closed, oversized headers, request
/// lines and bodies refused, and connections past the maximum answered 503.
@Suite(.timeLimit(.minutes(5))) struct ClientLimitsTests {
    @Test func slowIdleOversizedAndTooManyClientsAreBounded() async throws {
        let deployment = try await ManyInstancesTests.bootstrap(url: try await TestPostgres.makeDatabase())
        let timeouts = try await GatehouseServer.start(
            environment: deployment.environment,
            arguments: ["--request-timeout", "2", "--idle-timeout", "2"]
        )
        defer { timeouts.kill() }
        let connections = try await GatehouseServer.start(environment: deployment.environment, arguments: ["--max-connections", "4"])
        defer { connections.kill() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/client_limits.py").path
        let run = try await Subprocess.run(
            "/usr/bin/env",
            ["timeout", "240", "python3", script, Self.port(timeouts), Self.port(connections)],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("client limits: passed"), "\(run.stdout)")
        // Both are still serving after all that.
        #expect(try await timeouts.curl("GET", "/healthz").status == 200)
        #expect(try await connections.curl("GET", "/healthz").status == 200)
    }

    static func port(_ server: GatehouseServer) -> String {
        String(server.url.split(separator: ":").last ?? "")
    }
}
