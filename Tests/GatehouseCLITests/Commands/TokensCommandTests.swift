import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// `gatehouse tokens flush`, for cron: expired refresh-token rows go, the rest stay.
@Suite(.timeLimit(.minutes(5))) struct TokensCommandTests {
    @Test func flushDeletesExpiredRowsOnlyAndSaysHowMany() async throws {
        let deployment = try await ManyInstancesTests.bootstrap(url: try await TestPostgres.makeDatabase())
        let url = try #require(deployment.environment["GATEHOUSE_DATABASE_URL"])
        try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) { client in
            // Three rows of alice's: two expired yesterday, one valid for a day.
            for expiresIn in [-86_400, -86_400, 86_400] {
                let jti = UUID()
                try await client.query(
                    """
                    INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
                    SELECT u.tenant_id, \(jti), e.id, u.id, \(jti), k.kid, now() - interval '2 days',
                           now() + make_interval(secs => \(expiresIn))
                    FROM users u JOIN environments e ON e.tenant_id = u.tenant_id
                    JOIN signing_keys k ON k.environment_id = e.id AND k.state = 'active'
                    WHERE u.username = 'alice'
                    """
                )
            }
            let flush = try await GatehouseProcess.run(["tokens", "flush"], environment: deployment.environment)
            #expect(flush.status == 0, "\(flush.stderr)")
            #expect(try JSONValue.parse(Array(flush.stdout.utf8)).objectValue?["refresh_tokens_deleted"] == 2, "\(flush.stdout)")
            #expect(try await client.query("SELECT count(*) FROM refresh_tokens").single(Int.self) == 1)
        }
    }
}
