import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// The scheduler: scheduled and staged rotation, retirement, purging, one at a time.
@Suite(.timeLimit(.minutes(5))) struct SchedulerTests {
    static func scheduler(_ deployment: TestDeployment) -> Scheduler {
        Scheduler(database: deployment.database, keys: deployment.keys)
    }

    static func states(_ deployment: TestDeployment) async throws -> [String: String] {
        let realm = try await deployment.realm()
        var states: [String: String] = [:]
        for row in try await deployment.database.query(
            "SELECT kid, state FROM signing_keys WHERE environment_id = \(realm.environmentID)"
        ) {
            let (kid, state) = try row.decode((String, String).self)
            states[kid] = state
        }
        return states
    }

    @Test func aScheduledRotationPublishesTheNextKeyAheadAndActivatesItOnTime() async throws {
        try await TestDeployment.with(settings: ["key_rotation_period": 3600, "key_publish_ahead": 600]) { deployment in
            let scheduler = Self.scheduler(deployment)
            let first = try await deployment.realm().ring.active.kid
            // Not due yet: the key has just been made.
            #expect(try await scheduler.runOnce()?.published == 0)

            // 55 minutes old: within key_publish_ahead of its period, so the next key is published.
            try await deployment.database.query("UPDATE signing_keys SET activated_at = now() - interval '55 minutes' WHERE kid = \(first)")
            let published = try await scheduler.runOnce()
            #expect(published?.published == 1 && published?.activated == 0)
            var states = try await Self.states(deployment)
            let next = try #require(states.first { $0.value == "next" }?.key)
            #expect(states[first] == "active")
            #expect(try await scheduler.runOnce()?.published == 0)

            // The period is over: the next key signs, the first one retires.
            try await deployment.database.query("UPDATE signing_keys SET activate_at = now() - interval '1 second' WHERE kid = \(next)")
            #expect(try await scheduler.runOnce()?.activated == 1)
            states = try await Self.states(deployment)
            #expect(states[next] == "active" && states[first] == "retiring")
            try await eventually { try await deployment.realm().ring.active.kid == next }
            let events = try await deployment.database.query("SELECT action, actor FROM audit_log ORDER BY id").map {
                try $0.decode((String, String).self)
            }
            #expect(events.map(\.0) == ["key.rotate", "key.activate"] && events.allSatisfy { $0.1 == "system" })
        }
    }

    @Test func retiringKeysRetireAfterTheLongestLifetimeAndAreDroppedAfterAnother() async throws {
        try await TestDeployment.with(settings: ["access_token_lifetime": 60, "refresh_token_lifetime": 120, "leeway": 0]) { deployment in
            let scheduler = Self.scheduler(deployment)
            let realm = try await deployment.realm()
            let first = realm.ring.active.kid
            _ = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            _ = try await deployment.admin.rotateKeys(
                tenant: "demo",
                environment: "prod",
                mode: .immediate,
                algorithm: nil,
                activateAt: nil,
                actor: .cli
            )
            #expect(try await scheduler.runOnce()?.retired == 0)
            try await deployment.database.query("UPDATE signing_keys SET retiring_at = now() - interval '121 seconds' WHERE kid = \(first)")
            #expect(try await scheduler.runOnce()?.retired == 1)
            #expect(try await Self.states(deployment)[first] == "retired")
            #expect(try await scheduler.runOnce()?.dropped == 0)
            try await deployment.database.query("UPDATE signing_keys SET retired_at = now() - interval '121 seconds' WHERE kid = \(first)")
            #expect(try await scheduler.runOnce()?.dropped == 1)
            #expect(try await Self.states(deployment)[first] == nil)
        }
    }

    @Test func expiredRefreshTokensArePurgedAndLiveOnesKept() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            for _ in 0..<3 { _ = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret") }
            try await deployment.database.query(
                """
                UPDATE refresh_tokens SET issued_at = now() - interval '2 days', expires_at = now() - interval '1 day'
                WHERE jti IN (SELECT jti FROM refresh_tokens LIMIT 2)
                """
            )
            #expect(try await Self.scheduler(deployment).runOnce()?.refreshTokensDeleted == 2)
            #expect(try await deployment.database.query("SELECT count(*) FROM refresh_tokens").single(Int.self) == 1)
        }
    }

    @Test func aRevocationListIsDeletedOnceEveryTokenItCoversHasExpired() async throws {
        try await TestDeployment.with(settings: ["access_token_lifetime": 60, "refresh_token_lifetime": 120, "leeway": 0]) { deployment in
            let result = try await deployment.admin.revoke(tenant: "demo", target: .usernames(["alice"]), environment: "prod", actor: .cli)
            #expect(result.users == 1)
            #expect(try await Self.scheduler(deployment).runOnce()?.revocationListsDeleted == 0)
            // Kept while a token could still be accepted: 120 s of life and the largest leeway a setting may set.
            let validity = EnvironmentSettings(stored: ["access_token_lifetime": 60, "refresh_token_lifetime": 120, "leeway": 0]).longestTokenValidity
            #expect(validity == .seconds(420))
            try await deployment.database.query(
                "UPDATE revocation_lists SET revoked_before = now() - make_interval(secs => \(validity.timeInterval - 5))"
            )
            #expect(try await Self.scheduler(deployment).runOnce()?.revocationListsDeleted == 0)
            try await deployment.database.query(
                "UPDATE revocation_lists SET revoked_before = now() - make_interval(secs => \(validity.timeInterval + 1))"
            )
            #expect(try await Self.scheduler(deployment).runOnce()?.revocationListsDeleted == 1)
            #expect(try await deployment.database.query("SELECT count(*) FROM revocation_lists").single(Int.self) == 0)
        }
    }

    @Test func shorteningLifetimesAfterARevocationNeverRevivesItsTokens() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let pair = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            _ = try await deployment.admin.revoke(tenant: "demo", target: .usernames(["alice"]), environment: "prod", actor: .cli)
            // After the incident the operators shorten the lifetimes; the tokens out there still carry 14 days.
            _ = try await deployment.admin.updateEnvironment(
                tenant: "demo",
                slug: "prod",
                settings: ["access_token_lifetime": 60, "refresh_token_lifetime": 60],
                actor: .cli
            )
            // An hour later the new lifetimes have long run out, not the old ones: the list stays.
            #expect(try await Self.scheduler(deployment).runOnce(now: Date().addingTimeInterval(3600))?.revocationListsDeleted == 0)
            let shortened = try await deployment.realm()
            await #expect(throws: TokenService.Failure.token(.revoked)) {
                try await deployment.tokens.refresh(in: shortened, token: try #require(pair.refresh))
            }
            // Fifteen days on, every token the list covers has expired: it goes.
            #expect(try await Self.scheduler(deployment).runOnce(now: Date().addingTimeInterval(15 * 86400))?.revocationListsDeleted == 1)
        }
    }

    @Test func onlyOneSchedulerActsAtATime() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.database.withConnection { holder in
                try await holder.query("SELECT pg_advisory_lock(\(Int64(0x6761_7465_686f_7573)))")
                #expect(try await Self.scheduler(deployment).runOnce() == nil)
                try await holder.query("SELECT pg_advisory_unlock(\(Int64(0x6761_7465_686f_7573)))")
            }
            #expect(try await Self.scheduler(deployment).runOnce() != nil)
        }
    }

    @Test func aStagedKeyWithAnActivationTimeIsActivatedThen() async throws {
        try await TestDeployment.with { deployment in
            let rotation = try await deployment.admin.rotateKeys(
                tenant: "demo",
                environment: "prod",
                mode: .staged,
                algorithm: .eddsa,
                activateAt: Date().addingTimeInterval(3600),
                actor: .cli
            )
            let next = try #require(rotation.next?.kid)
            #expect(try await Self.scheduler(deployment).runOnce()?.activated == 0)
            try await deployment.database.query("UPDATE signing_keys SET activate_at = now() WHERE kid = \(next)")
            #expect(try await Self.scheduler(deployment).runOnce()?.activated == 1)
            #expect(try await Self.states(deployment)[next] == "active")
        }
    }
}
