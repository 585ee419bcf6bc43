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

    /// An unknown user and a wrong password get the same answer after the same work: the
    /// dummy hash costs what a stored hash costs. Compared as a ratio of the fastest of
    /// interleaved runs at the default cost, so the machine's speed and load cancel out;
    /// skipping the hash would make the unknown user thousands of times cheaper.
    @Test func anUnknownUserCostsWhatAWrongPasswordCosts() async throws {
        let threads = NIOThreadPool(numberOfThreads: 1)
        threads.start()
        defer { threads.shutdownGracefully { _ in } }
        let hasher = try PasswordHasher(threadPool: threads)
        let stored = try await hasher.hash("correct")
        var unknown: [Duration] = []
        var wrong: [Duration] = []
        let clock = ContinuousClock()
        for _ in 0..<15 {
            var answer = PasswordHasher.Check.match(needsRehash: false)
            unknown.append(try await clock.measure { answer = try await hasher.check("guess", against: nil) })
            #expect(answer == .mismatch)
            wrong.append(try await clock.measure { answer = try await hasher.check("guess", against: stored) })
            #expect(answer == .mismatch)
        }
        // The fastest of each: the run least disturbed by the tests running beside this one.
        let ratio = unknown.min()! / wrong.min()!
        // Wide bounds: the suites beside this one load the machine; a skipped hash is ~10⁻⁴.
        #expect(ratio > 0.2 && ratio < 5, "fastest unknown user / fastest wrong password = \(ratio)")
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
