import Foundation
import Testing

@testable import GatehouseCore

/// Token ids carry the issue instant to the millisecond while `iat` stays whole seconds.
@Suite(.timeLimit(.minutes(1))) struct UUIDVersion7Tests {
    @Test func theInstantComesBackToTheMillisecond() throws {
        let instant = Date(timeIntervalSince1970: 1_800_000_000.123_9)
        let id = UUID.version7(at: instant)
        #expect(id.uuidString.lowercased().dropFirst(14).first == "7")
        #expect(try #require(id.version7Instant).timeIntervalSince1970 == 1_800_000_000.123)
        #expect(UUID.version7(at: instant) != id, "random bits follow the instant")
        #expect(UUID().version7Instant == nil)
    }

    @Test func theIssueInstantIsTheIdsWhenItFallsInTheSecondOfIat() {
        let id = UUID.version7(at: Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(TokenCodec.issueInstant(iat: 1_800_000_000, jti: id).timeIntervalSince1970 == 1_800_000_000.5)
        // Another second, or a random id: iat alone decides.
        #expect(TokenCodec.issueInstant(iat: 1_800_000_005, jti: id).timeIntervalSince1970 == 1_800_000_005)
        #expect(TokenCodec.issueInstant(iat: 1_799_999_999, jti: id).timeIntervalSince1970 == 1_799_999_999)
        #expect(TokenCodec.issueInstant(iat: 1_800_000_000.25, jti: UUID()).timeIntervalSince1970 == 1_800_000_000.25)
    }
}
