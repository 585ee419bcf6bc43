import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Family revocation against rotations committing at the same time.
@Suite(.timeLimit(.minutes(5))) struct RefreshTokenStoreTests {
    @Test(.timeLimit(.minutes(3)))
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

    /// Before any ANALYZE every index of refresh_tokens looks empty to the planner; a
    /// rotation or a revocation by `jti` must still find its row by the primary key, never by
    /// scanning the tenant's outstanding tokens (``RefreshTokenStore/rotate(on:_:)``).
    @Test func rotationsAndRevocationsFindTheirRowByPrimaryKeyBeforeAnyAnalyze() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let alice = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            try await Self.insertTokens(deployment.database, realm: realm, userID: alice.id, count: 5000)
            let olds = try await deployment.database.query("SELECT jti, issued_at, expires_at FROM refresh_tokens LIMIT 2").map { row in
                let (jti, issuedAt, expiresAt) = try row.decode((UUID, Date, Date).self)
                return TokenClaims(type: .refresh, userID: alice.id, jti: jti, issuedAt: issuedAt, expiresAt: expiresAt, kid: realm.ring.active.kid)
            }
            let scans = try await deployment.database.withConnection { connection in
                var new = olds[0]
                new.jti = UUID()
                // Rows made in bulk record no digest: only a token whose signature was checked spends them.
                let rotation = RefreshTokenStore.Rotation(
                    realm: realm,
                    old: olds[0],
                    oldDigest: Data(repeating: 0, count: 32),
                    signatureChecked: true,
                    new: new,
                    newDigest: Data(repeating: 1, count: 32)
                )
                let rotated = try await RefreshTokenStore().rotate(on: connection, [rotation])
                #expect(rotated[rotation.key]?.id == alice.id)
                #expect(try await RefreshTokenStore().revoke(on: connection, realm: realm, jti: olds[1].jti, reason: .logout) != nil)
                // This session's counters, flushed and read back.
                try await connection.query("SELECT pg_stat_force_next_flush()")
                try await connection.query("SELECT pg_stat_clear_snapshot()")
                return try await connection.query(
                    "SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE relname = 'refresh_tokens'"
                ).map { try $0.decode((String, Int).self) }
            }
            let byIndex = Dictionary(uniqueKeysWithValues: scans)
            #expect(byIndex["refresh_tokens_outstanding"] == 0, "\(byIndex)")
            #expect((byIndex["refresh_tokens_pkey"] ?? 0) >= 2, "\(byIndex)")
        }
    }

    /// A backlog larger than a batch is deleted batch after batch, and only what expired.
    @Test func purgeDeletesAnExpiredBacklogBatchByBatchAndKeepsTheRest() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let alice = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            try await Self.insertTokens(deployment.database, realm: realm, userID: alice.id, count: 30, expired: 25)
            let deleted = try await deployment.database.withConnection { try await RefreshTokenStore().purgeExpired(on: $0, batchSize: 10) }
            #expect(deleted == 25)
            #expect(try await deployment.database.query("SELECT count(*) FROM refresh_tokens").single(Int.self) == 5)
        }
    }

    /// `count` outstanding refresh tokens of `userID`, made in bulk, each its own family,
    /// issued two days ago: the first `expired` expired a day ago, the others expire in a day.
    static func insertTokens(_ database: PostgresClient, realm: Realm, userID: UUID, count: Int, expired: Int = 0) async throws {
        try await database.query(
            """
            INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
            SELECT \(realm.tenantID), j, \(realm.environmentID), \(userID), j, \(realm.ring.active.kid),
                   now() - interval '2 days', now() + CASE WHEN n <= \(expired) THEN interval '-1 day' ELSE interval '1 day' END
            FROM (SELECT gen_random_uuid() AS j, n FROM generate_series(1, \(count)) n) made
            """
        )
    }
}
