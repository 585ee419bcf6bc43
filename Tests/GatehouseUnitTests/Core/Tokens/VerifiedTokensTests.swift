import Foundation
import Testing

@testable import GatehouseCore

/// The verified-token cache: one bound for every realm, and each realm snapshot reads only
/// what it verified itself.
@Suite struct VerifiedTokensTests {
    static func claims() -> TokenClaims {
        TokenClaims(type: .access, userID: UUID(), jti: UUID(), issuedAt: Date(), expiresAt: Date() + 300, kid: "k")
    }

    @Test func aSnapshotReadsOnlyWhatItVerified() {
        let cache = VerifiedTokens()
        let first = VerifiedTokens.Snapshot.next()
        let second = VerifiedTokens.Snapshot.next()
        let claims = Self.claims()
        cache.remember("token", claims, in: first)
        #expect(cache.claims(of: "token", in: first) == claims)
        #expect(cache.claims(of: "token", in: second) == nil)
        #expect(cache.claims(of: "other", in: first) == nil)
        // Only the exact bytes: a long token with its last byte changed, or cut short, is not it.
        let long = String(repeating: "eyJhbGciOiJFUzI1NiJ9", count: 30)
        cache.remember(long + "A", claims, in: first)
        #expect(cache.claims(of: long + "A", in: first) == claims)
        #expect(cache.claims(of: long + "B", in: first) == nil)
        #expect(cache.claims(of: long, in: first) == nil)
    }

    @Test func theCacheStaysWithinItsCapacityAcrossSnapshots() {
        let cache = VerifiedTokens(capacity: 100)
        for realm in 0..<50 {
            let snapshot = VerifiedTokens.Snapshot.next()
            for token in 0..<20 { cache.remember("\(realm).\(token)", Self.claims(), in: snapshot) }
            #expect(cache.count <= 100)
        }
        // Remembering a token held already never starts over.
        let snapshot = VerifiedTokens.Snapshot.next()
        for token in 0..<100 { cache.remember("again.\(token)", Self.claims(), in: snapshot) }
        cache.remember("again.0", Self.claims(), in: snapshot)
        #expect(cache.count == 100)
    }
}
