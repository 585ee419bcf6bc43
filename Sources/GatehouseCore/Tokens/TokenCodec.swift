import Crypto
public import Foundation
import JWTKit

/// Makes and checks compact JWS tokens against a ``KeyRing``.
///
/// The algorithm always comes from the key found by `kid`: a header that names another
/// algorithm (`none`, or HS256 over an ES256 key's public bytes) is refused before any
/// signature is computed, and an unknown `kid` is refused, never tried against a default.
public struct TokenCodec: Sendable {
    /// Longest token accepted; a real one is well under 2 KB.
    static let maximumLength = 8192

    /// The issuer (`iss`) of the realm.
    public let issuer: String
    /// The audience (`aud`) of the realm, when set.
    public let audience: String?
    /// Clock skew tolerated on `exp`, `iat` and `nbf`, in seconds.
    private let leeway: Double

    public init(issuer: String, audience: String?, leeway: Duration) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway.timeInterval
    }

    /// Signs a token.
    /// - Parameters:
    ///   - type: access or refresh, for the header's `typ`.
    ///   - claims: the payload's JSON text (the service's own ``TokenPayload``'s; any JSON, for tests that forge).
    ///   - key: the signing key.
    public func sign(_ type: TokenType, claims: String, with key: KeyRing.Key) throws -> String {
        var token = key.headerSegment(for: type) + "." + Base64URL.encode(claims.utf8)
        let signature = try key.signer.sign(Array(token.utf8))
        token += "." + Base64URL.encode(signature)
        return token
    }

    /// Checks a token's form, key, signature, type and claims.
    /// - Parameters:
    ///   - token: the compact JWS.
    ///   - ring: the realm's keys.
    ///   - expected: the type the endpoint needs; `nil` accepts either (SimpleJWT's verify).
    ///   - now: the time to check `exp` and `iat` against (the database's clock).
    public func verify(_ token: String, ring: KeyRing, expecting expected: TokenType?, now: Date) throws(TokenError) -> TokenClaims {
        let bytes = Array(token.utf8)
        let parts = try Self.segments(of: bytes)
        // A header this ring signs with needs no decoding: its key and type are known.
        let key: KeyRing.Key
        let headerType: String?
        if let (signer, type) = ring.key(signingHeader: parts[0]) {
            (key, headerType) = (signer, type.headerType)
        } else {
            guard let headerJSON = Base64URL.decode(parts[0]),
                let header = try? JSONDecoder().decode(TokenHeader.self, from: Data(headerJSON)),
                let kid = header.kid, !header.hasCritical
            else { throw .invalid }
            guard let found = ring.verificationKey(kid: kid) else { throw .unknownKey(kid: kid) }
            guard header.alg == found.algorithm.rawValue else { throw .invalid }
            (key, headerType) = (found, header.typ)
        }
        guard let signature = Base64URL.decode(parts[2]),
            (try? key.signer.verify(signature, signs: bytes[..<(parts[0].count + 1 + parts[1].count)])) == true
        else { throw .invalid }
        return try self.claims(payload: parts[1], headerType: headerType, kid: key.kid, expecting: expected, now: now)
    }

    /// The claims of a token whose header is, byte for byte, one that a key of `ring` signs
    /// with, checked as ``verify(_:ring:expecting:now:)`` checks them, but not its signature;
    /// `nil` for any other header, and for any token that `verify` would refuse for its form
    /// or claims. Only for a token whose exact bytes are then matched against the digest
    /// recorded when it was signed (a refresh token's rotation): that match, not this, is
    /// what shows it genuine.
    func claimsBeforeDigestMatch(of token: String, ring: KeyRing, expecting expected: TokenType, now: Date) -> TokenClaims? {
        let bytes = Array(token.utf8)
        guard let parts = try? Self.segments(of: bytes), let (key, type) = ring.key(signingHeader: parts[0]),
            Base64URL.decode(parts[2]) != nil
        else { return nil }
        return try? self.claims(payload: parts[1], headerType: type.headerType, kid: key.kid, expecting: expected, now: now)
    }

    /// The SHA-256 digest of a token's bytes: what a refresh token's row records of it, and
    /// what verified access tokens are remembered by.
    static func digest(of token: String) -> SHA256Digest {
        var token = token
        return token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }

    /// A compact JWS's three segments, none empty, within the length allowed.
    private static func segments(of bytes: [UInt8]) throws(TokenError) -> [ArraySlice<UInt8>] {
        guard bytes.count <= Self.maximumLength else { throw .invalid }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { throw .invalid }
        return parts
    }

    /// The claims of a payload segment whose header named `headerType` and key `kid`, checked.
    private func claims(
        payload segment: ArraySlice<UInt8>,
        headerType: String?,
        kid: String,
        expecting expected: TokenType?,
        now: Date
    ) throws(TokenError) -> TokenClaims {
        guard let payloadJSON = Base64URL.decode(segment),
            let claims = try? JSONDecoder().decode(TokenPayload.self, from: Data(payloadJSON)),
            let typeName = claims.tokenType, let type = TokenType(rawValue: typeName),
            let subject = claims.sub, subject == claims.userID, let userID = UUID(uuidString: subject),
            let jtiText = claims.jti, let jti = UUID(uuidString: jtiText),
            let exp = claims.exp, let iat = claims.iat, claims.iss == self.issuer
        else { throw .invalid }
        // typ and token_type must agree: a refresh token dressed as an access token is forged.
        guard headerType == type.headerType, (type == .sliding) == (claims.refreshExp != nil) else { throw .invalid }
        // A token for an audience must name this realm's; a realm without one accepts none
        // that names an audience (RFC 7519 §4.1.3, as PyJWT and so SimpleJWT do).
        if let audience = self.audience {
            guard let tokenAudience = claims.aud, tokenAudience.contains(audience) else { throw .invalid }
        } else if claims.aud != nil {
            throw .invalid
        }
        // Not before `nbf` (RFC 7519 §4.1.5), with the leeway; time only moves on, so a
        // token that passed here once need not be asked again.
        if let notBefore = claims.nbf, notBefore > now.timeIntervalSince1970 + self.leeway { throw .invalid }
        let verified = TokenClaims(
            type: type,
            userID: userID,
            jti: jti,
            issuedAt: Self.issueInstant(iat: iat, jti: jti),
            expiresAt: Date(timeIntervalSince1970: exp),
            kid: kid,
            refreshExpiresAt: claims.refreshExp.map(Date.init(timeIntervalSince1970:))
        )
        try self.check(verified, expecting: expected, now: now)
        return verified
    }

    /// When a token was issued: to the millisecond from its id when that is a version 7
    /// UUID within the second `iat` names (tokens issued here), otherwise `iat` itself.
    static func issueInstant(iat: Double, jti: UUID) -> Date {
        if let instant = jti.version7Instant, instant.timeIntervalSince1970 >= iat, instant.timeIntervalSince1970 < iat.rounded(.down) + 1 {
            return instant
        }
        return Date(timeIntervalSince1970: iat)
    }

    /// What is checked on every use of a token, even one whose signature was checked before:
    /// expiry and an issue instant not in the future (each with leeway), then type.
    func check(_ claims: TokenClaims, expecting expected: TokenType?, now: Date) throws(TokenError) {
        guard now.timeIntervalSince1970 < claims.expiresAt.timeIntervalSince1970 + self.leeway else {
            throw .expired
        }
        guard claims.issuedAt.timeIntervalSince1970 <= now.timeIntervalSince1970 + self.leeway else {
            throw .invalid
        }
        if let expected, expected != claims.type { throw .wrongType }
    }
}
