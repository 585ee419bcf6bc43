public import Foundation

/// A tenant's environment, loaded: its settings, its keys and how its tokens look.
public struct Realm: Sendable {
    public let tenantID: UUID
    public let tenantSlug: String
    public let environmentID: UUID
    public let environmentSlug: String
    public let settings: EnvironmentSettings
    public let ring: KeyRing
    public let codec: TokenCodec
    /// Every token of the environment issued before this instant is revoked.
    public let revokedBefore: Date?
    /// Access tokens verified, shared by the directory's realms; this snapshot reads its own.
    let verifiedTokens: VerifiedTokens
    let snapshot = VerifiedTokens.Snapshot.next()

    /// `{public url}/t/{tenant}/{env}`.
    public var issuer: String { self.codec.issuer }

    /// Verifies a token against this realm's keys and claims; an access token seen before
    /// skips the signature check (``VerifiedTokens``), never the expiry or type checks.
    public func verify(_ token: String, expecting expected: TokenType?, now: Date) throws(TokenError) -> TokenClaims {
        if let claims = self.verifiedTokens.claims(of: token, in: self.snapshot) {
            try self.codec.check(claims, expecting: expected, now: now)
            return claims
        }
        let claims = try self.codec.verify(token, ring: self.ring, expecting: expected, now: now)
        // Refresh tokens are used once each: remembering them would only crowd the cache.
        if claims.type != .refresh { self.verifiedTokens.remember(token, claims, in: self.snapshot) }
        return claims
    }
}
