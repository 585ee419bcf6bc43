import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// What happens when requests race each other or the operators: replays, password changes
/// during a login, clocks that disagree.
@Suite(.timeLimit(.minutes(5))) struct TokenServiceRaceTests {
    @Test(.timeLimit(.minutes(3)))
    func aReplayAtTheSameMomentAsTheRotationRevokesTheFamily() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            for attempt in 0..<20 {
                let refresh = try #require(try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret").refresh)
                // The same token twice at once: one wins, the other is a replay of it.
                async let first = Self.outcome { try await deployment.tokens.refresh(in: realm, token: refresh) }
                async let second = Self.outcome { try await deployment.tokens.refresh(in: realm, token: refresh) }
                let outcomes = [try await first, try await second]
                let winners = outcomes.compactMap { $0 }
                #expect(winners.count == 1, "attempt \(attempt): \(winners.count) winners")
                // The winner's new token belongs to a revoked family.
                for winner in winners {
                    let next = try #require(winner.refresh)
                    await #expect(throws: TokenService.Failure.token(.revoked), "attempt \(attempt)") {
                        try await deployment.tokens.refresh(in: realm, token: next)
                    }
                }
            }
        }
    }

    /// The pair, or `nil` when the refresh was refused as revoked.
    static func outcome(_ body: () async throws -> TokenService.Pair) async throws -> TokenService.Pair? {
        do {
            return try await body()
        } catch TokenService.Failure.token(.revoked) {
            return nil
        }
    }

    @Test func aPasswordChangeDuringALoginLeavesNoTokenAndKeepsTheNewHash() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            // The login read alice and checked her password; then an operator changes it.
            let stale = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            let id = stale.id.uuidString.lowercased()
            _ = try await deployment.admin.updateUser(tenant: "demo", id: id, changes: .init(password: "new secret"), actor: .cli)
            let rehash = try await TestDeployment.hasher().hash("secret")
            await #expect(throws: TokenService.Failure.noActiveAccount) {
                try await deployment.tokens.issuePair(in: realm, for: stale, rehashedPassword: rehash)
            }
            // No token was recorded, and the rehash of the old password did not overwrite the new one.
            #expect(try await deployment.database.query("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL").single(Int.self) == 0)
            _ = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "new secret")
            await #expect(throws: TokenService.Failure.noActiveAccount) {
                try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            }
        }
    }

    @Test func aPasswordChangeWaitingForALoginRevokesWhatTheLoginIssued() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let alice = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            let id = alice.id.uuidString.lowercased()
            // A login holds alice's row, as its recording statement does, while a password change starts.
            let issuedAt = try await deployment.database.withTransaction { connection in
                try await connection.query("SELECT 1 FROM users WHERE id = \(alice.id) FOR NO KEY UPDATE")
                let change = Task {
                    try await deployment.admin.updateUser(tenant: "demo", id: id, changes: .init(password: "changed"), actor: .cli)
                }
                try await eventually(within: .seconds(20)) {
                    try await deployment.database.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    ).single(Int.self) > 0
                }
                // The login's token is issued now, after the change began and before it could write.
                let issuedAt = try await connection.query("SELECT clock_timestamp()").single(Date.self)
                return (issuedAt, change)
            }
            _ = try await issuedAt.1.value
            let revokedBefore = try await deployment.database.query("SELECT revoked_before FROM users WHERE id = \(alice.id)").single(Date?.self)
            #expect(try #require(revokedBefore) > issuedAt.0)
        }
    }

    @Test func aDeactivationDuringALoginLeavesNoToken() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let stale = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            let id = stale.id.uuidString.lowercased()
            _ = try await deployment.admin.updateUser(tenant: "demo", id: id, changes: .init(isActive: false), actor: .cli)
            await #expect(throws: TokenService.Failure.noActiveAccount) {
                try await deployment.tokens.issuePair(in: realm, for: stale)
            }
        }
    }

    @Test func aHostWhoseClockRunsAheadStillHasItsTokensRevoked() async throws {
        try await TestDeployment.with { deployment in
            // This host's clock is an hour ahead of the database's.
            let skewed = DatabaseClock { Date().addingTimeInterval(3600) }
            try await skewed.synchronize(with: deployment.database)
            #expect(abs(skewed.now().timeIntervalSinceNow) < 5)
            let tokens = TokenService(
                database: deployment.database,
                realms: deployment.tokens.realms,
                userCache: deployment.tokens.userCache,
                hasher: try TestDeployment.hasher(),
                clock: skewed
            )
            let realm = try await deployment.realm()
            let pair = try await tokens.obtainPair(in: realm, username: "alice", password: "secret")
            _ = try await tokens.authenticate(in: realm, accessToken: pair.access)
            // A revocation written by the database's clock covers what this host just issued.
            _ = try await deployment.admin.revoke(tenant: "demo", target: .usernames(["alice"]), environment: nil, actor: .cli)
            try await eventually {
                do {
                    _ = try await tokens.authenticate(in: realm, accessToken: pair.access)
                    return false
                } catch TokenService.Failure.token(.revoked) {
                    return true
                }
            }
            await #expect(throws: TokenService.Failure.token(.revoked)) {
                try await tokens.refresh(in: realm, token: try #require(pair.refresh))
            }
        }
    }

    @Test func aTokenIssuedInTheFutureIsRefused() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let user = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            func token(issuedIn seconds: Double) throws -> String {
                let now = Date().timeIntervalSince1970
                let claims: [String: JSONValue] = [
                    "token_type": "access", "iss": .string(realm.issuer), "sub": .string(user.id.uuidString.lowercased()),
                    "user_id": .string(user.id.uuidString.lowercased()), "iat": .number(now + seconds),
                    "exp": .number(now + seconds + 600), "jti": .string(UUID().uuidString.lowercased()),
                ]
                return try realm.codec.sign(.access, claims: JSONValue.object(claims).jsonText, with: realm.ring.active)
            }
            // Within the leeway (30 s) a clock a little ahead is forgiven; beyond it, refused.
            _ = try await deployment.tokens.authenticate(in: realm, accessToken: try token(issuedIn: 10))
            await #expect(throws: TokenService.Failure.token(.invalid)) {
                try await deployment.tokens.authenticate(in: realm, accessToken: try token(issuedIn: 120))
            }
        }
    }
}
