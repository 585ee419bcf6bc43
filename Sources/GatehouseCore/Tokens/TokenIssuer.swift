import Foundation

/// Makes the claims of new tokens and signs them with the realm's active key; stores nothing.
struct TokenIssuer: Sendable {
    /// The payload of a new token, and the claims the service records of it. `iat` and
    /// `exp` are whole seconds; the id, a version 7 UUID, carries the issue instant to the
    /// millisecond, so that a revocation in the same second as a login tells the two apart.
    func payload(_ type: TokenType, realm: Realm, userID: UUID, now: Date, lifetime: Duration, jti: UUID? = nil) -> (TokenPayload, TokenClaims) {
        let jti = jti ?? UUID.version7(at: now)
        let issuedAt = (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000
        let expiresAt = (now.timeIntervalSince1970 + lifetime.timeInterval).rounded(.down)
        let payload = TokenPayload(
            type: type,
            issuer: realm.issuer,
            userID: userID,
            jti: jti,
            issuedAt: issuedAt.rounded(.down),
            expiresAt: expiresAt,
            audience: realm.settings.audience
        )
        let claims = TokenClaims(
            type: type,
            userID: userID,
            jti: jti,
            issuedAt: Date(timeIntervalSince1970: issuedAt),
            expiresAt: Date(timeIntervalSince1970: expiresAt),
            kid: realm.ring.active.kid
        )
        return (payload, claims)
    }

    /// A new access token for `user`, carrying its username, role and own claims.
    func access(realm: Realm, user: User, now: Date) throws -> String {
        var (payload, _) = self.payload(.access, realm: realm, userID: user.id, now: now, lifetime: realm.settings.accessTokenLifetime)
        payload.username = user.username
        payload.role = user.role
        payload.custom = user.claims
        return try self.sign(.access, payload, realm: realm)
    }

    /// A sliding token for `user`: an access token's claims, `sliding_token_lifetime` long,
    /// refreshable until `refreshExpiresAt`. A refreshed one keeps the first one's `jti`, so
    /// blacklisting any copy stops them all (as SimpleJWT does).
    func sliding(realm: Realm, user: User, now: Date, jti: UUID? = nil, refreshExpiresAt: Date) throws -> String {
        var (payload, _) = self.payload(.sliding, realm: realm, userID: user.id, now: now, lifetime: realm.settings.slidingTokenLifetime, jti: jti)
        payload.username = user.username
        payload.role = user.role
        payload.custom = user.claims
        payload.refreshExp = refreshExpiresAt.timeIntervalSince1970.rounded(.down)
        return try self.sign(.sliding, payload, realm: realm)
    }

    func sign(_ type: TokenType, _ payload: TokenPayload, realm: Realm) throws -> String {
        try realm.codec.sign(type, claims: payload.jsonText, with: realm.ring.active)
    }
}
