import Foundation
import Testing

@testable import GatehouseCore

/// The claims of issued tokens, named once in ``TokenPayload``: what an access token
/// carries, and that a user's own claims never take a reserved name.
@Suite(.timeLimit(.minutes(1))) struct TokenPayloadTests {
    static let user = UUID(uuidString: "0b0e3c1e-9f3a-4d6e-8a39-6f1f6a3b2c11")!
    static let jti = UUID(uuidString: "7d1c5a2e-2b7f-4f7e-9f1a-0c5d3e2a1b00")!

    static func encoded(_ payload: TokenPayload) throws -> [String: JSONValue] {
        try #require(JSONValue.parse(Array(payload.jsonText.utf8)).objectValue)
    }

    @Test func anAccessPayloadCarriesTheContractsClaimsAndTheUsersOwn() throws {
        var payload = TokenPayload(
            type: .access,
            issuer: "https://auth.example/t/acme/prod",
            userID: Self.user,
            jti: Self.jti,
            issuedAt: 1_800_000_000.125,
            expiresAt: 1_800_000_300,
            audience: "mobile"
        )
        payload.username = "alice"
        payload.role = "admin"
        payload.custom = ["plan": "gold", "role": "root", "sub": "someone-else", "exp": .number(9_999_999_999), "token_type": "refresh"]
        #expect(
            try Self.encoded(payload) == [
                "token_type": "access", "iss": "https://auth.example/t/acme/prod", "sub": .string(Self.user.uuidString.lowercased()),
                "user_id": .string(Self.user.uuidString.lowercased()), "iat": .number(1_800_000_000.125), "exp": .number(1_800_000_300),
                "jti": .string(Self.jti.uuidString.lowercased()), "aud": "mobile", "username": "alice", "role": "admin", "plan": "gold",
            ]
        )
    }

    @Test func aRefreshPayloadHasNoUserDetailsAndNoAudienceUnlessSet() throws {
        let payload = TokenPayload(type: .refresh, issuer: "i", userID: Self.user, jti: Self.jti, issuedAt: 1, expiresAt: 2, audience: nil)
        #expect(try Set(Self.encoded(payload).keys) == ["token_type", "iss", "sub", "user_id", "iat", "exp", "jti"])
    }

    @Test func everyNamedClaimIsReserved() {
        #expect(
            TokenPayload.reservedNames == [
                "token_type", "iss", "sub", "user_id", "iat", "exp", "nbf", "jti", "aud", "username", "role", "refresh_exp",
            ]
        )
    }

    @Test func aPayloadReadsBackWithAnAudienceOfOneOrMany() throws {
        let one = try JSONDecoder().decode(TokenPayload.self, from: Data(#"{"aud":"a","exp":5,"x":{"y":1},"username":"u"}"#.utf8))
        #expect(one.aud?.contains("a") == true && one.exp == 5 && one.custom.isEmpty && one.username == nil)
        let many = try JSONDecoder().decode(TokenPayload.self, from: Data(#"{"aud":["b","a"]}"#.utf8))
        #expect(many.aud?.contains("a") == true && many.aud?.contains("c") == false)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TokenPayload.self, from: Data(#"{"exp":"soon"}"#.utf8)) }
    }
}
