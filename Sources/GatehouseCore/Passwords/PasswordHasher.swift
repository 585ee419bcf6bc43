import CArgon2
import Crypto
import CryptoExtras
import Foundation
public import NIOPosix

/// Hashes passwords with Argon2id (PHC strings) and checks them against Argon2id or
/// imported Django hashes, on threads of its own so that no event loop ever waits for it.
///
/// Checking a password for a user that does not exist costs the same as a wrong password:
/// pass `nil` as the stored hash and a dummy hash of the same cost is verified instead.
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

    /// - Parameters:
    ///   - parameters: the Argon2id cost of new hashes.
    ///   - threadPool: where hashing runs; size it to the cores it may use.
    public init(parameters: Argon2Parameters = .default, threadPool: NIOThreadPool) throws {
        self.parameters = parameters
        self.threadPool = threadPool
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

    /// Checks `password` against a stored hash, off the caller's thread, in constant time.
    /// - Parameters:
    ///   - password: what the client sent.
    ///   - stored: the user's hash, or `nil` when there is no such user.
    public func check(_ password: String, against stored: String?) async throws -> Check {
        let target = stored ?? self.dummyHash
        let current = "$argon2id$v=19$\(self.parameters.phcSegment)$"
        let matched = try await self.threadPool.runIfActive {
            Self.verify(Array(password.utf8), against: target)
        }
        guard matched, stored != nil else { return .mismatch }
        return .match(needsRehash: !target.hasPrefix(current))
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

    /// Whether `stored` is a hash this hasher can verify: an Argon2id PHC string, Django's
    /// `argon2$argon2id$...` or `pbkdf2_sha256$iterations$salt$hash` (for imports).
    public static func recognizes(_ stored: String) -> Bool {
        if DjangoPBKDF2Hash(stored) != nil { return true }
        let phc = stored.hasPrefix("argon2$argon2id$") ? String(stored.dropFirst("argon2".count)) : stored
        // $argon2id$v=19$m=...,t=...,p=...$salt$hash
        let parts = phc.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "argon2id", parts[2] == "v=19" else { return false }
        let parameters = parts[3].split(separator: ",")
        guard parameters.count == 3, zip(parameters, ["m=", "t=", "p="]).allSatisfy({ $0.hasPrefix($1) && Int($0.dropFirst(2)) != nil })
        else { return false }
        return !parts[4].isEmpty && !parts[5].isEmpty
    }

    /// Verifies any supported format; `false` for a malformed or unknown one.
    static func verify(_ password: [UInt8], against stored: String) -> Bool {
        if stored.hasPrefix("$argon2id$") {
            return argon2id_verify(stored, password, password.count) == ARGON2_OK.rawValue
        }
        if stored.hasPrefix("argon2$argon2id$") {
            // Django stores "argon2" + a PHC string without its leading "$".
            return argon2id_verify(String(stored.dropFirst("argon2".count)), password, password.count) == ARGON2_OK.rawValue
        }
        if let django = DjangoPBKDF2Hash(stored) {
            return django.verify(password)
        }
        return false
    }
}

/// Argon2 refused to hash (out of memory, bad parameters).
public struct PasswordHashError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "password hashing failed: \(self.message)" }
}
