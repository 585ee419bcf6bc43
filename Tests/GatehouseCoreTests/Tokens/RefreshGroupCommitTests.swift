import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Rotations that share one statement: each decided once, a failure kept to its own
/// rotation, a token presented twice at once spent once.
@Suite(.timeLimit(.minutes(5))) struct RefreshGroupCommitTests {
    /// Two hundred refreshes at once, each of a hundred tokens presented twice: one winner
    /// per token, and one child recorded per spent token.
    @Test func concurrentRotationsAreEachDecidedOnce() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let alice = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            var tokens: [String] = []
            for _ in 0..<100 {
                tokens.append(try #require(try await deployment.tokens.issuePair(in: realm, for: alice).refresh))
            }
            let winners = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for (index, token) in tokens.enumerated() {
                    for _ in 0..<2 {
                        group.addTask {
                            (index, try await TokenServiceRaceTests.outcome { try await deployment.tokens.refresh(in: realm, token: token) } != nil)
                        }
                    }
                }
                var winners: [Int: Int] = [:]
                for try await (index, won) in group where won { winners[index, default: 0] += 1 }
                return winners
            }
            #expect(winners.count == 100)
            #expect(winners.values.allSatisfy { $0 == 1 })
            let children = try await deployment.database.query(
                "SELECT count(*), count(DISTINCT parent_jti) FROM refresh_tokens WHERE parent_jti IS NOT NULL"
            ).first?.decode((Int, Int).self)
            #expect(children?.0 == 100)
            #expect(children?.1 == 100)
        }
    }

    /// A rotation whose statement fails (its new `jti` is taken) fails alone: the rotation
    /// queued beside it is still made, and a token queued twice is spent once.
    @Test(.timeLimit(.minutes(3)))
    func aFailingRotationFailsAloneAndATwinIsSpentOnce() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let alice = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            let olds = try await Self.outstanding(count: 3, of: alice, in: realm, deployment: deployment)
            let commit = RefreshGroupCommit(database: deployment.database, maximumRunning: 1)
            let (blocker, good, bad) = (olds[0], olds[1], olds[2])
            let (blocked, outcomes) = try await deployment.database.withTransaction { connection in
                // The first statement waits for a row this transaction holds, so the next
                // rotations queue behind it and share the statement after it.
                try await connection.query("SELECT 1 FROM refresh_tokens WHERE jti = \(blocker.jti) FOR UPDATE")
                let blocked = Task { try await commit.rotate(Self.rotation(of: blocker, in: realm)) }
                try await eventually(within: .seconds(20)) {
                    try await deployment.database.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    ).single(Int.self) > 0
                }
                let outcomes = [
                    Task { try await commit.rotate(Self.rotation(of: good, in: realm)) },
                    Task { try await commit.rotate(Self.rotation(of: good, in: realm)) },
                    Task { try await commit.rotate(Self.rotation(of: bad, in: realm, newJTI: blocker.jti)) },
                ]
                try await eventually(within: .seconds(20)) { commit.queued == 2 }
                return (blocked, outcomes)
            }
            #expect(try await blocked.value?.id == alice.id)
            let twins = [try await outcomes[0].value, try await outcomes[1].value]
            #expect(twins.compactMap { $0 }.map(\.id) == [alice.id])
            await #expect {
                try await outcomes[2].value
            } throws: { error in
                (error as? PostgresError)?.sqlState == .uniqueViolation
            }
            let reasons = try await deployment.database.query(
                "SELECT jti, revoked_reason FROM refresh_tokens WHERE jti = ANY(\([blocker.jti, good.jti, bad.jti]))"
            ).map { try $0.decode((UUID, String?).self) }
            let byJTI = Dictionary(uniqueKeysWithValues: reasons)
            #expect(byJTI[blocker.jti] == "rotated")
            #expect(byJTI[good.jti] == "rotated")
            #expect(byJTI[bad.jti] == .some(nil))
        }
    }

    /// A new outstanding refresh token's claims, as verification reads them, and its digest.
    struct Outstanding {
        var claims: TokenClaims
        var digest: Data
        var jti: UUID { self.claims.jti }
    }

    /// `count` new outstanding refresh tokens of `user`.
    static func outstanding(count: Int, of user: User, in realm: Realm, deployment: TestDeployment) async throws -> [Outstanding] {
        for _ in 0..<count { _ = try await deployment.tokens.issuePair(in: realm, for: user) }
        return try await deployment.database.query(
            """
            SELECT jti, issued_at, expires_at, kid, token_digest FROM refresh_tokens
            WHERE user_id = \(user.id) AND revoked_at IS NULL ORDER BY issued_at, jti
            """
        ).map { row in
            let (jti, issuedAt, expiresAt, kid, digest) = try row.decode((UUID, Date, Date, String, Data).self)
            let claims = TokenClaims(type: .refresh, userID: user.id, jti: jti, issuedAt: issuedAt, expiresAt: expiresAt, kid: kid)
            return Outstanding(claims: claims, digest: digest)
        }
    }

    static func rotation(of old: Outstanding, in realm: Realm, newJTI: UUID = UUID()) -> RefreshTokenStore.Rotation {
        var new = old.claims
        new.jti = newJTI
        return RefreshTokenStore.Rotation(
            realm: realm,
            old: old.claims,
            oldDigest: old.digest,
            signatureChecked: true,
            new: new,
            newDigest: Data(repeating: 1, count: 32)
        )
    }
}
