import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// A single-page app in a real browser (headless Chromium, Debian's): `Tests/Browser/`.
@Suite(.timeLimit(.minutes(5))) struct ChromiumTests {
    /// Cookie mode end to end: login, me, refresh through the cookie with the CSRF header
    /// (and 403 without it), logout expiring the cookies, `document.cookie` never showing
    /// `gh_refresh`, and the page on another origin refused by CORS.
    @Test func aCookieModePageLogsInRefreshesAndLogsOutInChromium() async throws {
        let url = try await TestPostgres.makeDatabase()
        let deployment = try await ManyInstancesTests.bootstrap(url: url)
        try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) { database in
            _ = try await database.query(#"UPDATE environments SET settings = settings || '{"refresh_cookie": true}'::jsonb"#)
        }
        let server = try await GatehouseServer.start(environment: deployment.environment)
        defer { server.kill() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/cookie_mode_in_chromium.py").path
        let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-browser-\(UUID())")
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: screenshots) }
        // `timeout` bounds the browser's run.
        let python = try await TestPython.interpreter(importing: ["selenium"])
        let run = try await Subprocess.run(
            "/usr/bin/env",
            ["timeout", "240", python, script, server.url, "/t/demo/prod", "alice", "pw", screenshots.path],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("browser: cookie mode passed in Chromium"), "\(run.stdout)")
        #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("cookie-mode.png").path))
    }
}
