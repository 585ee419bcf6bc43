public import Foundation
public import GatehouseCore
public import GatehousePostgres
import NIOPosix

/// A deployment for tests: a migrated database of its own, a master key, tenant `demo`
/// with environments `prod` and `staging`, tenant `other`, and user `alice` (password
/// `secret`) in `demo`, served by a ``TokenService``.
public struct TestDeployment: Sendable {
    public let database: PostgresClient
    public let masterKey: MasterKey
    public let tokens: TokenService
    /// The operators' operations, on the same caches as ``tokens``.
    public let admin: AdminService
    public let keys: SigningKeyStore
    public let users: UserStore
    public let publicURL = "http://gatehouse.test"

    /// Argon2id at a low cost: the tests check behaviour, not cost.
    public static let cheapArgon2 = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    private static let hashing: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// A hasher at ``cheapArgon2``.
    public static func hasher() throws -> PasswordHasher {
        try PasswordHasher(parameters: Self.cheapArgon2, threadPool: Self.hashing)
    }

    /// Runs `body` with a fresh deployment and shuts it down afterwards.
    /// - Parameter settings: overrides of `demo/prod`'s settings; its throttles are off
    ///   unless set here.
    public static func with<Result>(
        settings: [String: JSONValue] = [:],
        _ body: (TestDeployment) async throws -> Result
    ) async throws -> Result {
        try await TestPostgres.withClient(migrated: true, poolSize: 8) { database in
            let masterKey = MasterKey.generate().key
            let keys = SigningKeyStore(masterKey: masterKey)
            let tenants = TenantStore(database: database)
            let demo = try await tenants.create(slug: "demo", environments: ["staging"], keys: keys)
            try await database.withTransaction { connection in
                let unthrottled: [String: JSONValue] = ["throttle_anon": nil, "throttle_user": nil, "throttle_login_user": nil]
                try await tenants.createEnvironment(
                    on: connection,
                    tenantID: demo,
                    slug: "prod",
                    settings: unthrottled.merging(settings) { $1 },
                    keys: keys
                )
            }
            try await tenants.create(slug: "other", environments: ["prod"], keys: keys)
            let hasher = try Self.hasher()
            let realms = RealmDirectory(database: database, keys: keys, publicURL: "http://gatehouse.test")
            let userCache = UserCache()
            let deployment = TestDeployment(
                database: database,
                masterKey: masterKey,
                tokens: TokenService(database: database, realms: realms, userCache: userCache, hasher: hasher),
                admin: AdminService(
                    database: database,
                    keys: keys,
                    hasher: hasher,
                    publicURL: "http://gatehouse.test",
                    realms: realms,
                    userCache: userCache
                ),
                keys: keys,
                users: UserStore(database: database)
            )
            try await deployment.createUser("alice", password: "secret", tenant: demo)
            // The caches follow the database as they do in `gatehouse serve`.
            let changes = ChangeFeed(configuration: database.configuration, realms: realms, users: userCache)
            let feed = Task { try await changes.run() }
            defer { feed.cancel() }
            try await eventually(within: .seconds(30)) { changes.isConnected }
            return try await body(deployment)
        }
    }

    /// Creates a user with a password hashed at ``cheapArgon2``.
    @discardableResult
    public func createUser(_ username: String, password: String, tenant: UUID, isActive: Bool = true) async throws -> User {
        let hash = try await Self.hasher().hash(password)
        return try await self.users.create(tenantID: tenant, username: username, passwordHash: hash, isActive: isActive)
    }

    /// The id of a tenant.
    public func tenantID(_ slug: String) async throws -> UUID {
        try await self.database.query("SELECT id FROM tenants WHERE slug = \(slug)").single(UUID.self)
    }

    /// Changes a realm's key ring straight in the database, as another instance would: this
    /// instance's caches hear of it only through PostgreSQL's notification.
    public func changeRingInTheDatabase(_ realm: Realm, _ event: KeyLifecycle.Event) async throws {
        try await self.database.withTransaction { connection in
            var lifecycle = try await self.keys.lifecycle(tenantID: realm.tenantID, environmentID: realm.environmentID, on: connection)
            try await self.keys.run(try lifecycle.handle(event), tenantID: realm.tenantID, environmentID: realm.environmentID, on: connection)
        }
    }

    /// A realm, loaded.
    public func realm(_ tenant: String = "demo", _ environment: String = "prod") async throws -> Realm {
        guard let realm = try await self.tokens.realms.realm(tenant: tenant, environment: environment, refresh: true) else {
            throw ClusterError(message: "no realm \(tenant)/\(environment)")
        }
        return realm
    }
}
