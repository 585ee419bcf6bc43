import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Family revocation against rotations committing at the same time.
@Suite(.timeLimit(.minutes(5))) struct RefreshTokenStoreTests {
    @Test(.timeLimit(.minutes(1)))
    func revokingAFamilyCatchesTheChildOfARotationCommittingMeanwhile() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let refresh = try #require(try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret").refresh)
            let parent = try #require(UUID(uuidString: TokenInspection.claims(refresh)["jti"]?.stringValue ?? ""))
            let child = UUID()
            let store = RefreshTokenStore()
            // A rotation of the parent holds its row, uncommitted, while the family is revoked.
            let revoked = try await deployment.database.withTransaction { connection in
                try await connection.query(
                    """
                    UPDATE refresh_tokens SET revoked_at = clock_timestamp(), revoked_reason = 'rotated' WHERE jti = \(parent)
                    """
                )
                try await connection.query(
                    """
                    INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, parent_jti, kid, issued_at, expires_at)
                    SELECT tenant_id, \(child), environment_id, user_id, family_id, jti, kid, now(), expires_at
                    FROM refresh_tokens WHERE jti = \(parent)
                    """
                )
                let revocation = Task {
                    try await deployment.database.withTransaction { other in
                        try await store.revokeFamily(on: other, realm: realm, familyID: parent)
                    }
                }
                // Commit only once the revocation waits for the parent's row.
                try await eventually(within: .seconds(20)) {
                    try await deployment.database.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    ).single(Int.self) > 0
                }
                return revocation
            }
            #expect(try await revoked.value == 1)
            let reason = try await deployment.database.query("SELECT revoked_reason FROM refresh_tokens WHERE jti = \(child)").single(String?.self)
            #expect(reason == "reuse")
        }
    }
}
