import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(5))) struct RealmTests {
    @Test func aRememberedAccessTokenIsStillCheckedForExpiryAndType() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let pair = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            let first = try realm.verify(pair.access, expecting: .access, now: Date())
            // The second time comes from the realm's memory of verified tokens, with the same claims ...
            #expect(try realm.verify(pair.access, expecting: .access, now: Date()) == first)
            // ... and the same checks of what changes with time and use.
            #expect(throws: TokenError.wrongType) { try realm.verify(pair.access, expecting: .refresh, now: Date()) }
            let later = first.expiresAt.addingTimeInterval(realm.settings.leeway.timeInterval + 1)
            #expect(throws: TokenError.expired) { try realm.verify(pair.access, expecting: .access, now: later) }
            // A single changed byte is a different token: verified from scratch, and refused.
            var bytes = Array(pair.access.utf8)
            bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(throws: TokenError.invalid) { try realm.verify(String(decoding: bytes, as: UTF8.self), expecting: .access, now: Date()) }
        }
    }

    @Test func aReloadedRealmForgetsWhatItVerified() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let pair = try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret")
            _ = try realm.verify(pair.access, expecting: .access, now: Date())
            // The key is revoked: the next snapshot of the realm has no key for the token.
            try await deployment.changeRingInTheDatabase(realm, .revoke(kid: realm.ring.active.kid))
            let reloaded = try await deployment.realm()
            #expect(throws: TokenError.self) { try reloaded.verify(pair.access, expecting: .access, now: Date()) }
        }
    }
}
