import Crypto
public import Foundation

/// The deployment's master key (`GATEHOUSE_MASTER_KEY`): seals private key material at rest
/// with AES-256-GCM, the key's `kid` as associated data, so a sealed key cannot be moved
/// to another `kid`'s row unnoticed.
public struct MasterKey: Sendable {
    private let key: SymmetricKey

    /// - Parameter base64: base64 of exactly 32 random bytes.
    /// - Throws: ``KeyError`` when it is not.
    public init(base64: String) throws {
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32 else {
            throw KeyError(message: "GATEHOUSE_MASTER_KEY must be base64 of 32 random bytes")
        }
        self.key = SymmetricKey(data: bytes)
    }

    /// A new random master key, and its base64 text.
    public static func generate() -> (key: MasterKey, base64: String) {
        let text = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        // The text was just made from 32 bytes.
        return (try! MasterKey(base64: text), text)
    }

    /// nonce || ciphertext || tag.
    public func seal(_ plaintext: Data, kid: String) throws -> Data {
        let box = try AES.GCM.seal(plaintext, using: self.key, authenticating: Data(kid.utf8))
        guard let combined = box.combined else { throw KeyError(message: "cannot seal key material") }
        return combined
    }

    /// The plaintext of ``seal(_:kid:)``; throws when the key, the `kid` or the bytes differ.
    public func open(_ sealed: Data, kid: String) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: self.key, authenticating: Data(kid.utf8))
        } catch {
            throw KeyError(message: "cannot open the private key of \(kid): wrong master key or damaged row")
        }
    }
}

/// A key could not be made, read or used.
public struct KeyError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
