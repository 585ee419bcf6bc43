import Foundation
import GatehouseCore
import GatehouseTestSupport
import NIOPosix
import Testing

@Suite(.timeLimit(.minutes(5))) struct PasswordHasherTests {
    @Test func argon2idHashesVerifyAndCarryTheirParameters() async throws {
        let hasher = try TestDeployment.hasher()
        let hash = try await hasher.hash("correct horse ⚡")
        #expect(hash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        #expect(try await hasher.check("correct horse ⚡", against: hash) == .match(needsRehash: false))
        #expect(try await hasher.check("correct horse", against: hash) == .mismatch)
        #expect(try await hasher.hash("same") != (try await hasher.hash("same")))
    }

    @Test func aMissingUserIsAMismatch() async throws {
        let hasher = try TestDeployment.hasher()
        #expect(try await hasher.check("anything", against: nil) == .mismatch)
    }

    @Test func djangoHashesVerifyAndAskForARehash() async throws {
        let hasher = try TestDeployment.hasher()
        let pbkdf2 = "pbkdf2_sha256$1000$seasalt$" + Self.pbkdf2Base64(password: "secret", salt: "seasalt", iterations: 1000)
        #expect(try await hasher.check("secret", against: pbkdf2) == .match(needsRehash: true))
        #expect(try await hasher.check("Secret", against: pbkdf2) == .mismatch)

        // Django's Argon2PasswordHasher: "argon2" + a PHC string without its first "$".
        let phc = try await TestDeployment.hasher().hash("secret")
        let djangoArgon2 = "argon2" + phc
        #expect(try await hasher.check("secret", against: djangoArgon2) == .match(needsRehash: true))

        // An older cost asks for a rehash too.
        let older = try PasswordHasher(parameters: Argon2Parameters(memoryKiB: 512, iterations: 1, parallelism: 1), threadPool: .singleton)
        #expect(try await hasher.check("secret", against: try await older.hash("secret")) == .match(needsRehash: true))
    }

    @Test func malformedHashesNeverMatch() async throws {
        let hasher = try TestDeployment.hasher()
        for stored in ["", "plain", "pbkdf2_sha256$x$salt$hash", "pbkdf2_sha256$1000$salt$not-base64", "$argon2id$v=19$garbage", "md5$$x"] {
            #expect(try await hasher.check("secret", against: stored) == .mismatch, "\(stored)")
        }
    }

    /// PBKDF2-HMAC-SHA256 of "secret" with salt "seasalt", 1000 rounds, as Django stores it;
    /// computed independently with Python's `hashlib.pbkdf2_hmac`.
    static func pbkdf2Base64(password: String, salt: String, iterations: Int) -> String {
        precondition(password == "secret" && salt == "seasalt" && iterations == 1000)
        return "+hs9qSCcGyNSGDNojIEbomuX9WI/mzTF5yfwAXqyKOo="
    }
}
