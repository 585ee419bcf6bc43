import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// PostgreSQL failover under load: a primary with a synchronous streaming standby, Gatehouse
/// on a multi-host connection string (`target_session_attrs=read-write`). The primary is
/// stopped and the standby promoted while refresh chains, verify and me run.
@Suite(.timeLimit(.minutes(5))) struct FailoverTests {
    @Test func promotingTheStandbyLosesNoAnsweredRefreshAndNeedsNoRestart() async throws {
        let primary = try await PostgresCluster.start()
        defer { primary.destroy() }
        let standby = try await PostgresCluster.standby(of: primary)
        defer { standby.destroy() }
        let url =
            "host=\(primary.socketDirectory),\(standby.socketDirectory) port=5432,5432 dbname=gatehouse user=gatehouse target_session_attrs=read-write"
        let deployment = try await ManyInstancesTests.bootstrap(url: url)
        let server = try await GatehouseServer.start(environment: deployment.environment)
        defer { server.kill() }

        let script = TestPostgres.repositoryRoot.appendingPathComponent("Tests/GatehouseCLITests/Scripts/failover_load.py").path
        // `timeout` bounds the run; the script's own limit is 60 s of load.
        let run = try await Subprocess.run(
            "/usr/bin/env",
            ["timeout", "150", "python3", script, server.url, "/t/demo/prod", "alice", "pw", primary.command("stop"), standby.command("promote")],
            environment: ProcessInfo.processInfo.environment
        )
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let report = try #require(try JSONValue.parse(Array(run.stdout.utf8)).objectValue, "\(run.stdout)\n\(run.stderr)")
        print("failover: \(run.stdout)")
        #expect(report["failures"] == [], "\(report)")
        #expect((report["refreshes_before_stop"]?.integerValue ?? 0) > 0 && (report["reads"]?.integerValue ?? 0) > 0, "\(report)")
        // Refreshes went on after the promotion, on the same process: it answers on the new primary.
        #expect((report["refreshes"]?.integerValue ?? 0) > (report["refreshes_before_stop"]?.integerValue ?? 0), "\(report)")
        // 503 for a few seconds at most after the promotion, however long the promotion waited.
        #expect((report["last_503_after_promote"]?.numberValue ?? 0) < 5, "\(report)")
        #expect(report["spent_checked"]?.integerValue ?? 0 > 0, "\(report)")
        #expect(server.process.stderr.contains("unexpected error") == false, "\(server.process.stderr)")
    }
}
