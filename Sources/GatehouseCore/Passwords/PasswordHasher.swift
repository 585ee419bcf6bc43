import CArgon2
import Crypto
import CryptoExtras
public import Foundation
public import NIOPosix

/// Hashes passwords with Argon2id (PHC strings) and checks them against Argon2id or
/// imported Django hashes, on threads of its own so that no event loop ever waits for it.
///
/// Checking a password for a user that does not exist costs the same as a wrong password:
/// pass `nil` as the stored hash and a dummy hash of the same cost is verified instead. A
/// stored hash beyond the cost bounds of ``StoredPasswordHash`` is never computed: it costs
/// the dummy hash and does not match.
public final class PasswordHasher: Sendable {
    /// What checking a password found.
    public enum Check: Sendable, Equatable {
        /// The password does not match (or there was no user).
        case mismatch
        /// The password matches; `needsRehash` when the stored hash is not Argon2id with
        /// the current parameters (an imported Django hash, or older costs).
        case match(needsRehash: Bool)
    }

    public let parameters: Argon2Parameters
    private let threadPool: NIOThreadPool
    /// Verified in place of a missing user's hash, so that both cost the same time.
    private let dummyHash: String
    /// Bulk hashing's share of the threads, served tenant by tenant.
    private let bulk: FairShare

    /// - Parameters:
    ///   - parameters: the Argon2id cost of new hashes.
    ///   - threadPool: where hashing runs; size it to the cores it may use.
    ///   - bulkThreads: how many of the pool's threads bulk hashing (imports) may use at
    ///     once, all tenants together; logins and single users never wait for that share.
    public init(parameters: Argon2Parameters = .default, threadPool: NIOThreadPool, bulkThreads: Int = 1) throws {
        self.parameters = parameters
        self.threadPool = threadPool
        self.bulk = FairShare(permits: bulkThreads)
        var random = SystemRandomNumberGenerator()
        let dummyPassword = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        self.dummyHash = try Self.argon2idHash(dummyPassword, parameters: parameters)
    }

    /// An Argon2id PHC string for `password`, computed off the caller's thread.
    public func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        return try await self.threadPool.runIfActive {
            try Self.argon2idHash(Array(password.utf8), parameters: parameters)
        }
    }

    /// ``hash(_:)`` for bulk work of `tenant`: it waits for the bulk share of the threads,
    /// in turn with other tenants' bulk work.
    public func hashInBulk(_ password: String, tenant: UUID) async throws -> String {
        try await self.bulk.withPermit(for: tenant) { try await self.hash(password) }
    }

    /// Checks `password` against a stored hash, off the caller's thread, in constant time.
    /// - Parameters:
    ///   - password: what the client sent.
    ///   - stored: the user's hash, or `nil` when there is no such user.
    public func check(_ password: String, against stored: String?) async throws -> Check {
        let parsed = stored.flatMap { try? StoredPasswordHash.parse($0).get() }
        let target = parsed ?? .argon2id(phc: self.dummyHash, parameters: self.parameters)
        let matched = try await self.threadPool.runIfActive {
            Self.verify(Array(password.utf8), against: target)
        }
        guard matched, parsed != nil, let stored else { return .mismatch }
        return .match(needsRehash: !stored.hasPrefix("$argon2id$v=19$\(self.parameters.phcSegment)$"))
    }

    /// Why `stored` would not be accepted for import: `nil` when it is an Argon2id PHC
    /// string, Django's `argon2$argon2id$…` or `pbkdf2_sha256$…`, within the cost bounds.
    public static func refusal(of stored: String) -> String? {
        switch StoredPasswordHash.parse(stored) {
        case .success: nil
        case .failure(.unknownFormat): "not a Django pbkdf2_sha256 or argon2id hash, nor an Argon2id PHC string"
        case .failure(.beyondBounds): "cost beyond the bounds (\(StoredPasswordHash.boundsDescription))"
        }
    }

    static func argon2idHash(_ password: [UInt8], parameters: Argon2Parameters) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        for index in salt.indices { salt[index] = UInt8.random(in: 0...255) }
        let length = argon2_encodedlen(parameters.iterations, parameters.memoryKiB, parameters.parallelism, 16, 32, Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let status = argon2id_hash_encoded(
            parameters.iterations,
            parameters.memoryKiB,
            parameters.parallelism,
            password,
            password.count,
            salt,
            salt.count,
            32,
            &encoded,
            length
        )
        guard status == ARGON2_OK.rawValue else {
            throw PasswordHashError(message: String(cString: argon2_error_message(status)))
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Verifies a parsed hash.
    private static func verify(_ password: [UInt8], against stored: StoredPasswordHash) -> Bool {
        switch stored {
        case .argon2id(let phc, _): argon2id_verify(phc, password, password.count) == ARGON2_OK.rawValue
        case .djangoPBKDF2(let django): django.verify(password)
        }
    }
}

/// Argon2 refused to hash (out of memory, bad parameters).
public struct PasswordHashError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "password hashing failed: \(self.message)" }
}
