import Foundation
import GatehouseCore
import GatehousePostgres
import NIOPosix

/// A large deployment for `large-database.sh`, beside the small one `bench-realm` makes.
///
///     bench-population populate DATABASE_URL TENANTS USERS ROWS
///         tenants t0..t{TENANTS-1}, each with environments prod and staging (an ES256 key
///         each, made and sealed as `gatehouse` makes them); USERS users spread evenly over
///         them (u0, u1, ... in each, one shared Argon2id hash); ROWS refresh-token rows
///         spread over the users and both environments, every one of them expired, for
///         the purge. Users and rows are made by SQL in bulk.
///     bench-population mint DATABASE_URL COUNT TENANTS OUT_FILE
///         COUNT access tokens, one per user, spread over the prod realms of t0..t{TENANTS-1}
///         (user u{i / TENANTS} of tenant t{i % TENANTS}); each line is "BASE TOKEN".
///
/// Both need GATEHOUSE_MASTER_KEY (and mint GATEHOUSE_PUBLIC_URL), as `gatehouse serve` does.
@main
enum BenchPopulation {
    nonisolated static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let masterKeyText = ProcessInfo.processInfo.environment["GATEHOUSE_MASTER_KEY"] else {
            return Self.usage()
        }
        let keys = SigningKeyStore(masterKey: try MasterKey(base64: masterKeyText))
        switch arguments.first {
        case "populate" where arguments.count == 5:
            guard let tenants = Int(arguments[2]), let users = Int(arguments[3]), let rows = Int(arguments[4]) else { return Self.usage() }
            try await Self.withDatabase(arguments[1]) { database in
                try await Self.populate(database: database, keys: keys, tenants: tenants, users: users, rows: rows)
            }
        case "mint" where arguments.count == 5:
            guard let count = Int(arguments[2]), let tenants = Int(arguments[3]) else { return Self.usage() }
            try await Self.withDatabase(arguments[1]) { database in
                try await Self.mint(database: database, keys: keys, count: count, tenants: tenants, to: URL(fileURLWithPath: arguments[4]))
            }
        default:
            Self.usage()
        }
    }

    static func usage() {
        print(
            """
            usage: bench-population populate DATABASE_URL TENANTS USERS ROWS
                   bench-population mint DATABASE_URL COUNT TENANTS OUT_FILE   (with GATEHOUSE_MASTER_KEY)
            """
        )
    }

    static func withDatabase(_ url: String, _ body: @Sendable (PostgresClient) async throws -> Void) async throws {
        let database = PostgresClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 8))
        do {
            try await body(database)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    static func populate(database: PostgresClient, keys: SigningKeyStore, tenants: Int, users: Int, rows: Int) async throws {
        let clock = ContinuousClock()
        var start = clock.now
        let store = TenantStore(database: database)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: tenants, by: 8) {
                        try await store.create(slug: "t\(index)", environments: ["prod", "staging"], keys: keys)
                    }
                }
            }
            try await group.waitForAll()
        }
        Self.report("\(tenants) tenants, \(2 * tenants) environments", since: start)

        start = clock.now
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        let hash = try await PasswordHasher(threadPool: threads).hash("pw")
        try await threads.shutdownGracefully()
        let perTenant = max(1, users / tenants)
        // The tenants in slices, two statements at a time: each commits on its own.
        let slices = stride(from: 0, to: tenants, by: 500).map { ($0, min($0 + 500, tenants)) }
        try await Self.inParallel(slices) { low, high in
            try await database.query(
                """
                INSERT INTO users (tenant_id, username, password_hash)
                SELECT t.id, 'u' || g, \(hash)
                FROM tenants t CROSS JOIN generate_series(0, \(perTenant - 1)) g
                WHERE t.slug = ANY(\((low..<high).map { "t\($0)" }))
                """
            )
        }
        Self.report("\(perTenant * tenants) users", since: start)

        start = clock.now
        let perUserAndEnvironment = max(1, rows / (perTenant * tenants * 2))
        try await Self.inParallel(slices) { low, high in
            try await database.query(
                """
                INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
                SELECT tenant_id, jti, environment_id, user_id, jti, kid, now() - interval '2 days', now() - interval '1 day'
                FROM (
                    SELECT u.tenant_id, gen_random_uuid() AS jti, e.id AS environment_id, u.id AS user_id, k.kid
                    FROM tenants t
                    JOIN users u ON u.tenant_id = t.id
                    JOIN environments e ON e.tenant_id = t.id
                    JOIN signing_keys k ON k.tenant_id = t.id AND k.environment_id = e.id AND k.state = 'active'
                    CROSS JOIN generate_series(1, \(perUserAndEnvironment)) g
                    WHERE t.slug = ANY(\((low..<high).map { "t\($0)" }))
                ) made
                """
            )
        }
        Self.report("\(perUserAndEnvironment * perTenant * tenants * 2) expired refresh-token rows", since: start)
    }

    static func mint(database: PostgresClient, keys: SigningKeyStore, count: Int, tenants: Int, to file: URL) async throws {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        let publicURL = ProcessInfo.processInfo.environment["GATEHOUSE_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
        let realms = RealmDirectory(database: database, keys: keys, publicURL: publicURL)
        let service = TokenService(
            database: database,
            realms: realms,
            userCache: UserCache(),
            hasher: try PasswordHasher(threadPool: threads)
        )
        let users = UserStore(database: database)
        let lines = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var lines: [String] = []
                    for index in stride(from: worker, to: count, by: 8) {
                        let tenant = "t\(index % tenants)"
                        guard let realm = try await realms.realm(tenant: tenant, environment: "prod"),
                            let user = try await users.find(tenantID: realm.tenantID, username: "u\(index / tenants)")
                        else {
                            throw PostgresError(kind: .decoding, message: "no user u\(index / tenants) in \(tenant): populate first")
                        }
                        lines.append("/t/\(tenant)/prod \(try await service.issuePair(in: realm, for: user).access)")
                    }
                    return lines
                }
            }
            var all: [String] = []
            for try await lines in group { all += lines }
            return all
        }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        try await threads.shutdownGracefully()
    }

    /// Runs `body` for each slice, two at a time.
    static func inParallel(_ slices: [(Int, Int)], _ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (position, slice) in slices.enumerated() {
                if position >= 2 { try await group.next() }
                group.addTask { try await body(slice.0, slice.1) }
            }
            try await group.waitForAll()
        }
    }

    static func report(_ what: String, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        FileHandle.standardError.write(Data("   made \(what) in \(elapsed.components.seconds) s\n".utf8))
    }
}
