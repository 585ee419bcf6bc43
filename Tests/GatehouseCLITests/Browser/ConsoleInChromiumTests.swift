import Foundation
import GatehouseTestSupport
import Testing

/// The operators' console (`/console/`) in headless Chromium against a live server:
/// `Tests/Browser/console_in_chromium.py`.
@Suite(.timeLimit(.minutes(8))) struct ConsoleInChromiumTests {
    /// The pages the run photographs, each once.
    static let screenshots = [
        "sign-in.png", "tenants.png", "settings-error.png", "settings.png", "keys-staged.png", "keys.png", "users.png",
        "revocations.png", "audit.png", "live.png", "api-down.png", "keys-400px.png", "tenants-400px.png", "scoped-403.png",
    ]

    /// Sign in, create a tenant, settings refused beside their field and saved, a staged
    /// rotation activated by hand, users created and revoked, both actions in the audit log,
    /// the live chart moving, the API out of reach and back, a deletion from the keyboard
    /// alone, 400 px, a scoped key and a wrong one; markup in names never runs and the key
    /// never leaves the tab's memory.
    @Test func anOperatorRunsTheConsoleInChromium() async throws {
        let deployment = try await ManyInstancesTests.bootstrap(url: try await TestPostgres.makeDatabase())
        let scoped = try await GatehouseProcess.run(
            ["admin-key", "create", "--name", "console", "--tenant", "demo"],
            environment: deployment.environment
        )
        #expect(scoped.status == 0, "\(scoped.stderr)")
        let scopedKey = try #require(scoped.stdout.split(separator: "\n").last.map(String.init))
        let server = try await GatehouseServer.start(environment: deployment.environment)
        defer { server.kill() }
        let script = TestPostgres.repositoryRoot.appendingPathComponent("Tests/Browser/console_in_chromium.py").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-console-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let python = try await TestPython.interpreter(importing: ["selenium"])
        // `timeout` bounds the browser's run.
        let run = try await Subprocess.run(
            "/usr/bin/env",
            ["timeout", "360", python, script, server.url, deployment.adminKey, scopedKey, "demo", folder.path],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("browser: console passed in Chromium"), "\(run.stdout)")
        for name in Self.screenshots {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
    }

    /// The console's pure modules (metrics rates, the timeline's layout, the settings form)
    /// under node's test runner: `Tests/Console/`.
    @Test func theConsolesModulesPassTheirNodeTests() async throws {
        let run = try await Subprocess.run(
            "/usr/bin/env",
            ["-C", TestPostgres.repositoryRoot.path, "timeout", "120", "node", "--test", "Tests/Console/"],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("# fail 0") && run.stdout.contains("# skipped 0"), "\(run.stdout)")
    }
}
