import Foundation
import GatehouseCore
import GatehousePostgres
import JWTKit
import NIOPosix

/// Prepares the token API benchmark: tenant `bench` with environments `es256`, `hs256` and
/// `cookie` (ES256 in cookie mode), throttles off (as the peer runs with PEER_THROTTLE=0),
/// users user0..user999 with password `pw` (one Argon2id hash at the default cost, shared), and for each environment
/// an access token and REFRESH_COUNT refresh tokens minted through the login code path.
/// `bench-realm --hash-time` prints the time of one Argon2id hash at the default cost;
/// `bench-realm --hash-rate SECONDS`, Argon2id hashes per second with every core hashing;
/// `bench-realm --es256-rate SECONDS`, jwt-kit's ES256 verifications per second on every core;
/// `bench-realm --es256-refresh-rate SECONDS`, an ES256 refresh's signature work as the server
/// does it, per second on every core: two signatures (the new access and refresh tokens) of a
/// token's bytes with jwt-kit's signer. The presented token is matched by its digest, not verified.
///
///     bench-realm DATABASE_URL REFRESH_COUNT OUT_DIR   (GATEHOUSE_MASTER_KEY and GATEHOUSE_PUBLIC_URL set,
///                                                       as for `gatehouse serve`)
@main
enum BenchRealm {
    nonisolated static func main() async throws {
        let arguments = CommandLine.arguments
        if arguments.count == 2, arguments[1] == "--hash-time" {
            return try await Self.printHashTime()
        }
        if arguments.count == 3, arguments[1] == "--hash-rate", let seconds = Int(arguments[2]) {
            return try await Self.printHashRate(seconds: seconds)
        }
        if arguments.count == 3, arguments[1] == "--es256-rate", let seconds = Int(arguments[2]) {
            return try await Self.printES256Rate(seconds: seconds)
        }
        if arguments.count == 3, arguments[1] == "--es256-refresh-rate", let seconds = Int(arguments[2]) {
            return try await Self.printES256RefreshSigningRate(seconds: seconds)
        }
        guard arguments.count == 4, let count = Int(arguments[2]),
            let masterKeyText = ProcessInfo.processInfo.environment["GATEHOUSE_MASTER_KEY"]
        else {
            print("usage: bench-realm DATABASE_URL REFRESH_COUNT OUT_DIR (with GATEHOUSE_MASTER_KEY)")
            return
        }
        let outDirectory = URL(fileURLWithPath: arguments[3])
        let database = PostgresClient(configuration: PostgresConfiguration(connectionString: arguments[1], poolSize: 8))
        let keys = SigningKeyStore(masterKey: try MasterKey(base64: masterKeyText))
        let threads = NIOThreadPool(numberOfThreads: 2)
        threads.start()
        let hasher = try PasswordHasher(threadPool: threads)

        let tenants = TenantStore(database: database)
        if try await tenants.id(of: "bench") == nil {
            let unthrottled: [String: JSONValue] = ["throttle_anon": nil, "throttle_user": nil]
            let tenantID = try await tenants.create(slug: "bench", environments: [], keys: keys)
            try await database.withTransaction { connection in
                try await tenants.createEnvironment(on: connection, tenantID: tenantID, slug: "es256", settings: unthrottled, keys: keys)
                var hmac = unthrottled
                hmac["algorithm"] = "HS256"
                try await tenants.createEnvironment(on: connection, tenantID: tenantID, slug: "hs256", settings: hmac, keys: keys)
                var cookie = unthrottled
                cookie["refresh_cookie"] = true
                try await tenants.createEnvironment(on: connection, tenantID: tenantID, slug: "cookie", settings: cookie, keys: keys)
            }
            let hash = try await hasher.hash("pw")
            try await database.query(
                """
                INSERT INTO users (tenant_id, username, password_hash)
                SELECT \(tenantID), 'user' || g, \(hash) FROM generate_series(0, 999) g
                """
            )
        }

        let publicURL = ProcessInfo.processInfo.environment["GATEHOUSE_PUBLIC_URL"] ?? "http://127.0.0.1:8080"
        let realms = RealmDirectory(database: database, keys: keys, publicURL: publicURL)
        let service = TokenService(database: database, realms: realms, userCache: UserCache(), hasher: hasher)
        let users = UserStore(database: database)
        let tenantID = try await tenants.id(of: "bench")!
        var people: [User] = []
        for index in 0..<1000 {
            people.append(try await users.find(tenantID: tenantID, username: "user\(index)")!)
        }
        let everyone = people
        for environment in ["es256", "hs256", "cookie"] {
            let realm = try await realms.realm(tenant: "bench", environment: environment)!
            let access = try await service.issuePair(in: realm, for: everyone[0]).access
            try (access + "\n").write(to: outDirectory.appendingPathComponent("\(environment)-access.txt"), atomically: true, encoding: .utf8)
            let refresh = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var tokens: [String] = []
                        for index in stride(from: worker, to: count, by: 8) {
                            tokens.append(try await service.issuePair(in: realm, for: everyone[index % everyone.count]).refresh!)
                        }
                        return tokens
                    }
                }
                var all: [String] = []
                for try await tokens in group { all += tokens }
                return all
            }
            try (refresh.joined(separator: "\n") + "\n").write(
                to: outDirectory.appendingPathComponent("\(environment)-refresh.txt"),
                atomically: true,
                encoding: .utf8
            )
        }
        await database.shutdown()
        try await threads.shutdownGracefully()
    }

    /// Prints the median time of one Argon2id hash at the default cost, on one thread: a
    /// login's floor. Run it next to the login measurement, on the same machine load.
    nonisolated static func printHashTime() async throws {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        let hasher = try PasswordHasher(threadPool: threads)
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<11 {
            let start = clock.now
            _ = try await hasher.hash("pw")
            let elapsed = clock.now - start
            times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        print("argon2id_ms \(times.sorted()[times.count / 2])")
        try await threads.shutdownGracefully()
    }

    /// Prints Argon2id hashes per second at the default cost with a hashing thread per core,
    /// all at once: what the cores do together, memory traffic shared, which one thread's
    /// time alone overstates.
    nonisolated static func printHashRate(seconds: Int) async throws {
        let threads = NIOThreadPool(numberOfThreads: ProcessInfo.processInfo.activeProcessorCount)
        threads.start()
        let hasher = try PasswordHasher(threadPool: threads)
        let hashed = try await Self.perCore(seconds: seconds) {
            { _ = try await hasher.hash("pw") }
        }
        print("argon2id_per_second \(hashed)")
        try await threads.shutdownGracefully()
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) throws {
            try self.exp.verifyNotExpired()
        }
    }

    /// Prints jwt-kit's ES256 verifications per second of one token, a task per core, each
    /// with a key collection of its own (the collection is an actor): the most a cold verify
    /// can reach on this machine.
    nonisolated static func printES256Rate(seconds: Int) async throws {
        let key = ES256PrivateKey()
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: key, kid: "bench")
        let token = try await signer.sign(Claims(sub: "user", exp: .init(value: Date().addingTimeInterval(3600))), kid: "bench")
        let verified = try await Self.perCore(seconds: seconds) {
            let keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: "bench")
            return { _ = try await keys.verify(token, as: Claims.self) }
        }
        print("es256_verify_per_second \(verified)")
    }

    /// Prints ES256 refreshes' signature work per second, a task per core: two signatures
    /// of a token's signed bytes (a header and payload of 340 bytes, as the benchmark's
    /// tokens have) with jwt-kit's signer itself, as `TokenCodec` signs, without the
    /// collection's actor or JSON encoding.
    nonisolated static func printES256RefreshSigningRate(seconds: Int) async throws {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: ES256PrivateKey(), kid: "bench")
        let signer = try await keys.getKey(for: "bench")
        let signed = Array(repeating: UInt8(ascii: "e"), count: 340)
        let refreshes = try await Self.perCore(seconds: seconds) {
            {
                _ = try signer.sign(signed)
                _ = try signer.sign(signed)
            }
        }
        print("es256_refresh_per_second \(refreshes)")
    }

    /// How many times per second `work` runs, one task per core each running its own
    /// (made by `make`) until `seconds` have passed.
    nonisolated static func perCore(
        seconds: Int,
        _ make: @escaping @Sendable () async throws -> @Sendable () async throws -> Void
    ) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<ProcessInfo.processInfo.activeProcessorCount {
                group.addTask {
                    let work = try await make()
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await work()
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(done) / Double(seconds)
    }
}
