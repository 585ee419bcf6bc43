import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Two instances on one database: each one's caches follow changes made through the other.
@Suite(.timeLimit(.minutes(5))) struct ChangeFeedTests {
    /// A second instance: its own caches, kept current by its own change feed.
    struct Instance {
        let tokens: TokenService
        let feed: Task<Void, any Error>
    }

    static func secondInstance(_ deployment: TestDeployment) throws -> Instance {
        let realms = RealmDirectory(
            database: deployment.database,
            keys: SigningKeyStore(masterKey: deployment.masterKey),
            publicURL: deployment.publicURL
        )
        let users = UserCache()
        let changes = ChangeFeed(configuration: deployment.database.configuration, realms: realms, users: users)
        return Instance(
            tokens: TokenService(database: deployment.database, realms: realms, userCache: users, hasher: try TestDeployment.hasher()),
            feed: Task { try await changes.run() }
        )
    }

    @Test func aRevokedUserIsRejectedByTheOtherInstance() async throws {
        try await TestDeployment.with { deployment in
            let other = try Self.secondInstance(deployment)
            defer { other.feed.cancel() }
            let realm = try await deployment.realm()
            let pair = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            let otherRealm = try #require(try await other.tokens.realms.realm(tenant: "demo", environment: "prod"))
            // The other instance caches alice's state.
            _ = try await other.tokens.authenticate(in: otherRealm, accessToken: pair.access)

            try await deployment.database.query("UPDATE users SET revoked_before = clock_timestamp() WHERE username = 'alice'")
            // How fast is for deploy/bench/propagation.sh; here, that it happens, refused as revoked.
            try await eventually(within: .seconds(10)) {
                do {
                    _ = try await other.tokens.authenticate(in: otherRealm, accessToken: pair.access)
                    return false
                } catch TokenService.Failure.token(.revoked) {
                    return true
                }
            }
        }
    }

    @Test func aNewKeyReachesTheOtherInstance() async throws {
        try await TestDeployment.with { deployment in
            let other = try Self.secondInstance(deployment)
            defer { other.feed.cancel() }
            let before = try #require(try await other.tokens.realms.realm(tenant: "demo", environment: "prod"))
            let realm = try await deployment.realm()
            try await deployment.changeRingInTheDatabase(realm, .rotate(.immediate))
            try await eventually(within: .seconds(10)) {
                try await other.tokens.realms.realm(tenant: "demo", environment: "prod")?.ring.active.kid != before.ring.active.kid
            }
        }
    }

    /// The periodic reload may run just before the database goes away; what it demoted
    /// still answers, and it does not run again while the listener is disconnected.
    @Test func whileTheDatabaseIsAwayThePeriodicReloadKeepsTheCaches() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.destroy() }
        try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: cluster.url, poolSize: 2)) { database in
            try await PostgresMigrator(client: database).migrate(try TestPostgres.migrations())
            let keys = SigningKeyStore(masterKey: MasterKey.generate().key)
            let tenant = try await TenantStore(database: database).create(slug: "demo", keys: keys)
            let hasher = try TestDeployment.hasher()
            _ = try await UserStore(database: database).create(tenantID: tenant, username: "alice", passwordHash: try await hasher.hash("pw"))
            let realms = RealmDirectory(database: database, keys: keys, publicURL: "http://gatehouse.test")
            let users = UserCache()
            let tokens = TokenService(database: database, realms: realms, userCache: users, hasher: hasher)
            // A reload every 100 ms.
            let feed = ChangeFeed(configuration: database.configuration, realms: realms, users: users, backupInterval: .milliseconds(100))
            let running = Task { try await feed.run() }
            defer { running.cancel() }
            try await eventually { feed.isConnected }
            let realm = try #require(try await realms.realm(tenant: "demo", environment: "prod"))
            let pair = try await tokens.obtainPair(in: realm, username: "alice", password: "pw")
            // Traffic, as a server sees it: the caches fill, are reloaded, fill again.
            let traffic = ContinuousClock.now
            while ContinuousClock.now - traffic < .milliseconds(400) {
                let current = try #require(try await realms.realm(tenant: "demo", environment: "prod"))
                _ = try await tokens.authenticate(in: current, accessToken: pair.access)
                try await Task.sleep(for: .milliseconds(5))
            }

            try await cluster.stop()
            for round in 0..<8 {
                try await Task.sleep(for: .milliseconds(100))
                let cached: Realm
                do {
                    cached = try #require(try await realms.realm(tenant: "demo", environment: "prod"))
                } catch {
                    Issue.record("realm, round \(round): \(error)")
                    continue
                }
                do {
                    _ = try await tokens.authenticate(in: cached, accessToken: pair.access)
                } catch {
                    Issue.record("authenticate, round \(round): \(error)")
                }
            }
            try await cluster.startAgain()
        }
    }
}
