import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// Imported hashes carry their own cost: beyond the bounds, none is ever computed.
@Suite(.timeLimit(.minutes(5))) struct StoredPasswordHashTests {
    static let salt = "c2FsdHNhbHRzYWx0c2FsdA"
    static let tag = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
    /// 32 bytes in padded base64, as Django stores the derived key.
    static let pbkdf2Key = "aGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGhoaGg="

    static func argon2(m: UInt64, t: UInt64, p: UInt64) -> String {
        "$argon2id$v=19$m=\(m),t=\(t),p=\(p)$\(Self.salt)$\(Self.tag)"
    }

    @Test func hashesWithinTheBoundsAreAccepted() {
        // Django's defaults: Argon2 m=102400 t=2 p=8, PBKDF2 at Django 6.0's 1,200,000 rounds.
        #expect(PasswordHasher.refusal(of: Self.argon2(m: 102_400, t: 2, p: 8)) == nil)
        #expect(PasswordHasher.refusal(of: "argon2" + String(Self.argon2(m: 102_400, t: 2, p: 8))) == nil)
        #expect(PasswordHasher.refusal(of: "pbkdf2_sha256$1200000$seasalt$" + Self.pbkdf2Key) == nil)
    }

    @Test(arguments: [
        Self.argon2(m: 4_194_304, t: 1, p: 1),  // 4 GiB
        Self.argon2(m: 19_456, t: 4_294_967_295, p: 1),  // t = 2^32 - 1
        Self.argon2(m: 131_072, t: 3, p: 1),  // each bound alone, but m·t too large
        Self.argon2(m: 65_536, t: 2, p: 255),
        "$argon2id$v=19$m=19456,t=2,p=1$\(Self.salt)$" + String(repeating: "A", count: 400),  // a huge tag
        "pbkdf2_sha256$100000000$seasalt$" + Self.pbkdf2Key,
    ])
    func hashesBeyondTheBoundsAreRefusedWithTheReason(hash: String) {
        #expect(PasswordHasher.refusal(of: hash)?.hasPrefix("cost beyond the bounds") == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func checkingAgainstAHashBeyondTheBoundsCostsTheDummyHashAndNeverMatches() async throws {
        let hasher = try TestDeployment.hasher()
        // Computed, either would hold a thread for hours or exhaust memory.
        #expect(try await hasher.check("pw", against: Self.argon2(m: 19_456, t: 4_294_967_295, p: 1)) == .mismatch)
        #expect(try await hasher.check("pw", against: Self.argon2(m: 4_194_304, t: 1, p: 1)) == .mismatch)
        #expect(try await hasher.check("pw", against: "pbkdf2_sha256$100000000$seasalt$" + Self.pbkdf2Key) == .mismatch)
    }
}
