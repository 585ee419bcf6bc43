import Crypto
import CryptoExtras
import Foundation

/// A Django `pbkdf2_sha256$iterations$salt$hash` password hash, as imported from a
/// Django user table.
struct DjangoPBKDF2Hash {
    let iterations: Int
    let salt: String
    let hash: Data

    /// Parses the format; `nil` for anything else.
    init?(_ encoded: String) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let iterations = Int(parts[1]), iterations > 0,
            (1...128).contains(parts[2].utf8.count), let hash = Data(base64Encoded: String(parts[3])), hash.count == 32
        else { return nil }
        self.iterations = iterations
        self.salt = String(parts[2])
        self.hash = hash
    }

    /// Derives the key from `password` and compares it with the stored one in constant time.
    func verify(_ password: [UInt8]) -> Bool {
        guard
            let derived = try? KDF.Insecure.PBKDF2.deriveKey(
                from: password,
                salt: Array(self.salt.utf8),
                using: .sha256,
                outputByteCount: 32,
                unsafeUncheckedRounds: self.iterations
            )
        else { return false }
        return derived.withUnsafeBytes { derivedBytes in
            var difference: UInt8 = 0
            for (a, b) in zip(derivedBytes, self.hash) { difference |= a ^ b }
            return difference == 0
        }
    }
}
