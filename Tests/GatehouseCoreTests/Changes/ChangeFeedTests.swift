import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Two instances on one database: each one's caches follow changes made through the other.
@Suite struct ChangeFeedTests {
    /// A second instance: its own caches, kept current by its own change feed.
    struct Instance {
        let tokens: TokenService
        let feed: Task<Void, any Error>
    }

    static func secondInstance(_ deployment: TestDeployment) throws -> Instance {
        let realms = RealmDirectory(database: deployment.database, keys: KeyStore(masterKey: deployment.masterKey), publicURL: deployment.publicURL)
        let users = UserCache()
        let changes = ChangeFeed(configuration: deployment.database.configuration, realms: realms, users: users)
        return Instance(
            tokens: TokenService(database: deployment.database, realms: realms, userCache: users, hasher: try TestDeployment.hasher()),
            feed: Task { try await changes.run() }
        )
    }

    @Test func aRevokedUserIsRejectedByTheOtherInstanceWithinASecond() async throws {
        try await TestDeployment.with { deployment in
            let other = try Self.secondInstance(deployment)
            defer { other.feed.cancel() }
            let realm = try await deployment.realm()
            let pair = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            let otherRealm = try #require(try await other.tokens.realms.realm(tenant: "demo", environment: "prod"))
            // The other instance caches alice's state.
            _ = try await other.tokens.authenticate(in: otherRealm, accessToken: pair.access)

            try await deployment.database.query("UPDATE users SET revoked_before = clock_timestamp() WHERE username = 'alice'")
            let started = ContinuousClock.now
            try await deployment.eventually(within: .seconds(1)) {
                (try? await other.tokens.authenticate(in: otherRealm, accessToken: pair.access)) == nil
            }
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }

    @Test func aNewKeyReachesTheOtherInstanceWithinASecond() async throws {
        try await TestDeployment.with { deployment in
            let other = try Self.secondInstance(deployment)
            defer { other.feed.cancel() }
            let before = try #require(try await other.tokens.realms.realm(tenant: "demo", environment: "prod"))
            let realm = try await deployment.realm()
            let keys = KeyStore(masterKey: deployment.masterKey)
            try await deployment.database.withTransaction { connection in
                try await connection.query(
                    "UPDATE signing_keys SET state = 'retiring', retiring_at = now() WHERE environment_id = \(realm.environmentID) AND state = 'active'"
                )
                try await keys.createKey(
                    on: connection,
                    tenantID: realm.tenantID,
                    environmentID: realm.environmentID,
                    algorithm: .es256,
                    state: .active
                )
            }
            try await deployment.eventually(within: .seconds(1)) {
                try await other.tokens.realms.realm(tenant: "demo", environment: "prod")?.ring.active.kid != before.ring.active.kid
            }
        }
    }
}
