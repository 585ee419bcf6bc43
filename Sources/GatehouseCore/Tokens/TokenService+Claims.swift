import Foundation
import GatehousePostgres

extension TokenService {
    func issueAccess(realm: Realm, user: User, now: Date) throws -> String {
        var claims = user.claims
        for reserved in ["token_type", "iss", "sub", "user_id", "exp", "iat", "jti", "aud", "nbf", "username", "role"] {
            claims.removeValue(forKey: reserved)
        }
        claims["username"] = .string(user.username)
        claims["role"] = .string(user.role)
        let standard = self.standardClaims(
            .access,
            realm: realm,
            userID: user.id,
            jti: UUID(),
            now: now,
            lifetime: realm.settings.accessTokenLifetime
        )
        claims.merge(standard.claims) { _, standard in standard }
        return try realm.codec.sign(.access, claims: claims, with: realm.ring.active)
    }

    func issueRefresh(
        on connection: PostgresConnection,
        realm: Realm,
        user: User,
        familyID: UUID,
        jti: UUID,
        parent: UUID?,
        now: Date
    ) async throws -> String {
        let (claims, tokenClaims) = self.standardClaims(
            .refresh,
            realm: realm,
            userID: user.id,
            jti: jti,
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        try await self.refreshTokens.record(on: connection, realm: realm, claims: tokenClaims, familyID: familyID, parent: parent)
        return try realm.codec.sign(.refresh, claims: claims, with: realm.ring.active)
    }

    func standardClaims(
        _ type: TokenType,
        realm: Realm,
        userID: UUID,
        jti: UUID,
        now: Date,
        lifetime: Int
    ) -> (claims: [String: JSONValue], tokenClaims: TokenClaims) {
        // iat keeps milliseconds (RFC 7519 NumericDate allows fractions) so a revocation in
        // the same second as a login tells the two apart; exp stays whole seconds.
        let issuedAt = (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000
        let expiresAt = (now.timeIntervalSince1970 + Double(lifetime)).rounded(.down)
        var claims: [String: JSONValue] = [
            "token_type": .string(type.rawValue),
            "iss": .string(realm.issuer),
            "sub": .string(userID.uuidString.lowercased()),
            "user_id": .string(userID.uuidString.lowercased()),
            "iat": .number(issuedAt),
            "exp": .number(expiresAt),
            "jti": .string(jti.uuidString.lowercased()),
        ]
        if let audience = realm.settings.audience { claims["aud"] = .string(audience) }
        let tokenClaims = TokenClaims(
            type: type,
            userID: userID,
            jti: jti,
            issuedAt: Date(timeIntervalSince1970: issuedAt),
            expiresAt: Date(timeIntervalSince1970: expiresAt),
            kid: realm.ring.active.kid
        )
        return (claims, tokenClaims)
    }
}
