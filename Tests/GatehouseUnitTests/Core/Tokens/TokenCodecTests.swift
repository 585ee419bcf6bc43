import Foundation
import JWTKit
import Testing

@testable import GatehouseCore

/// The codec reads a header it wrote itself without decoding it; any other spelling of a
/// header is decoded, and both readings decide alike.
@Suite struct TokenCodecTests {
    static let codec = TokenCodec(issuer: "http://gatehouse.test/t/demo/prod", audience: nil, leeway: .seconds(30))

    static func ring() async throws -> KeyRing {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: "a secret long enough for HS256 keys"), digestAlgorithm: .sha256, kid: JWKIdentifier(string: "k1"))
        let key = try KeyRing.Key(kid: "k1", algorithm: .hs256, state: .active, signer: try await keys.getKey(for: JWKIdentifier(string: "k1")))
        return try KeyRing(keys: [key], published: [])
    }

    static func payload(_ type: TokenType) -> TokenPayload {
        let now = Date().timeIntervalSince1970.rounded(.down)
        return TokenPayload(type: type, issuer: Self.codec.issuer, userID: UUID(), jti: UUID(), issuedAt: now, expiresAt: now + 300, audience: nil)
    }

    /// `payload` signed under a header spelled by hand.
    static func signed(_ payload: TokenPayload, header: String, with key: KeyRing.Key) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload.jsonText.utf8)
        return input + "." + Base64URL.encode(try key.signer.sign(Array(input.utf8)))
    }

    @Test func theRingKnowsTheHeadersItsKeysWrite() async throws {
        let ring = try await Self.ring()
        for type in [TokenType.access, .refresh, .sliding] {
            let token = try Self.codec.sign(type, claims: Self.payload(type).jsonText, with: ring.active)
            let segment = token.split(separator: ".")[0].utf8
            let (key, known) = try #require(ring.key(signingHeader: segment))
            #expect(key.kid == "k1")
            #expect(known.headerType == type.headerType)
        }
        // Keys sorted, whichever process wrote it; the JSON itself is not a segment.
        #expect(
            try TokenHeader(alg: "HS256", typ: "JWT", kid: "k1").segment() == Base64URL.encode(Array(#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#.utf8))
        )
        #expect(ring.key(signingHeader: Array(#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#.utf8)) == nil)
    }

    @Test func aHeaderSpelledAnotherWayIsDecodedAndDecidedAlike() async throws {
        let ring = try await Self.ring()
        let now = Date()
        let payload = Self.payload(.access)
        let reordered = try Self.signed(payload, header: #"{"kid":"k1","typ":"at+jwt","alg":"HS256"}"#, with: ring.active)
        #expect(ring.key(signingHeader: reordered.split(separator: ".")[0].utf8) == nil)
        let claims = try Self.codec.verify(reordered, ring: ring, expecting: .access, now: now)
        #expect(
            claims
                == (try Self.codec.verify(
                    try Self.codec.sign(.access, claims: payload.jsonText, with: ring.active),
                    ring: ring,
                    expecting: .access,
                    now: now
                ))
        )
        // Spelled another way, a wrong type, algorithm or key is refused as before.
        let refused: [(String, TokenError)] = [
            (#"{"kid":"k1","typ":"JWT","alg":"HS256"}"#, .invalid),
            (#"{"kid":"k1","typ":"at+jwt","alg":"none"}"#, .invalid),
            (#"{"kid":"k2","typ":"at+jwt","alg":"HS256"}"#, .unknownKey(kid: "k2")),
        ]
        for (header, error) in refused {
            #expect(throws: error, "\(header)") {
                try Self.codec.verify(try Self.signed(payload, header: header, with: ring.active), ring: ring, expecting: .access, now: now)
            }
        }
    }
}
