import Foundation
import GatehousePostgres

/// Exchanges a verified refresh token: a new access token, and with rotation a new refresh
/// token in the same family; a replay of a rotated token revokes the family.
struct RefreshRotation: Sendable {
    let database: PostgresClient
    let refreshTokens: RefreshTokenStore
    let groupCommit: RefreshGroupCommit
    let issuer: TokenIssuer
    let admission: UserAdmission
    let audit: AuditLog

    /// Exchanges a presented refresh token, whose signature was checked: its `claims` and
    /// its `digest` (``RefreshTokenStore/digest(of:)``).
    func refresh(in realm: Realm, claims: TokenClaims, digest: Data, now: Date) async throws -> TokenService.Pair {
        let settings = realm.settings
        if Self.rotatesInOneStatement(settings) {
            guard let pair = try await self.rotate(in: realm, claims: claims, digest: digest, signatureChecked: true, now: now) else {
                try await self.database.withTransaction { connection in
                    try await self.revokeFamilyIfReplayed(on: connection, realm: realm, jti: claims.jti)
                }
                throw TokenService.Failure.token(.revoked)
            }
            return pair
        }
        enum Outcome {
            case issued(TokenService.Pair)
            case refused(TokenError)
        }
        let outcome: Outcome = try await self.database.withTransaction { connection in
            guard let known = try await self.refreshTokens.find(on: connection, realm: realm, jti: claims.jti), known.reason == nil else {
                return .refused(.revoked)
            }
            guard let user = try await self.admission.activeUser(on: connection, realm: realm, claims: claims) else {
                return .refused(.revoked)
            }
            let access = try self.issuer.access(realm: realm, user: user, now: now)
            guard settings.rotateRefreshTokens else { return .issued(TokenService.Pair(access: access, refresh: nil)) }
            let (payload, recorded) = self.issuer.payload(
                .refresh,
                realm: realm,
                userID: user.id,
                now: now,
                lifetime: settings.refreshTokenLifetime
            )
            let refresh = try self.issuer.sign(.refresh, payload, realm: realm)
            try await self.refreshTokens.record(
                on: connection,
                realm: realm,
                claims: recorded,
                digest: RefreshTokenStore.digest(of: refresh),
                familyID: known.familyID,
                parent: claims.jti
            )
            return .issued(TokenService.Pair(access: access, refresh: refresh))
        }
        switch outcome {
        case .issued(let pair): return pair
        case .refused(let error): throw TokenService.Failure.token(error)
        }
    }

    /// Exchanges a presented refresh token matched by its `digest` alone, its signature
    /// unchecked: the statement spends only a row that recorded this digest, so a match is
    /// the very token this tier signed. `nil` when that does not apply (rotation without
    /// blacklisting, a header not the realm's own, claims `verify` would refuse, a token
    /// older than the realm's revocation instant) or matched nothing; the caller then
    /// checks the token as every token is checked, signature first.
    func refreshByDigest(in realm: Realm, token: String, digest: Data, now: Date) async throws -> TokenService.Pair? {
        guard Self.rotatesInOneStatement(realm.settings),
            let claims = realm.codec.claimsBeforeDigestMatch(of: token, ring: realm.ring, expecting: .refresh, now: now),
            realm.revokedBefore.map({ claims.issuedAt >= $0 }) ?? true
        else { return nil }
        return try await self.rotate(in: realm, claims: claims, digest: digest, signatureChecked: false, now: now)
    }

    /// Whether a refresh rotates in one statement (``rotate(in:claims:digest:signatureChecked:now:)``):
    /// with rotation and blacklisting, the default.
    private static func rotatesInOneStatement(_ settings: EnvironmentSettings) -> Bool {
        settings.rotateRefreshTokens && settings.blacklistAfterRotation
    }

    /// Rotation with blacklisting (the default): one statement decides, shared with the
    /// rotations that arrive with it (``RefreshGroupCommit``). The new refresh token is
    /// signed first, so that its digest is recorded with it; the access token carries the
    /// user the statement read. `nil` when the rotation matched nothing: the token was spent
    /// or revoked, its user cannot refresh, or (unless `signatureChecked`) its row records no
    /// digest or another one. Only a token whose signature was checked may go on to be
    /// judged a replay.
    private func rotate(
        in realm: Realm,
        claims: TokenClaims,
        digest: Data,
        signatureChecked: Bool,
        now: Date
    ) async throws -> TokenService.Pair? {
        let (payload, recorded) = self.issuer.payload(
            .refresh,
            realm: realm,
            userID: claims.userID,
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        let refresh = try self.issuer.sign(.refresh, payload, realm: realm)
        let rotation = RefreshTokenStore.Rotation(
            realm: realm,
            old: claims,
            oldDigest: digest,
            signatureChecked: signatureChecked,
            new: recorded,
            newDigest: RefreshTokenStore.digest(of: refresh)
        )
        guard let owner = try await self.groupCommit.rotate(rotation) else { return nil }
        return TokenService.Pair(access: try self.issuer.access(realm: realm, user: owner, now: now), refresh: refresh)
    }

    /// For a refresh token that was not outstanding: revokes its family when it is a replay
    /// of a rotated token outside the grace period. The database's clock judges the grace
    /// period against the instant it wrote at rotation, so a replay racing the rotation it
    /// loses to is a replay too.
    private func revokeFamilyIfReplayed(on connection: PostgresConnection, realm: Realm, jti: UUID) async throws {
        guard let familyID = try await self.refreshTokens.replayedFamily(on: connection, realm: realm, jti: jti, grace: realm.settings.reuseGrace)
        else {
            return
        }
        let revoked = try await self.refreshTokens.revokeFamily(on: connection, realm: realm, familyID: familyID)
        try await self.audit.record(
            on: connection,
            actor: .system,
            tenantID: realm.tenantID,
            action: "refresh.reuse",
            target: jti.uuidString.lowercased(),
            details: [
                "environment": .string(realm.environmentSlug), "family_id": .string(familyID.uuidString.lowercased()),
                "refresh_tokens_revoked": .number(Double(revoked)),
            ]
        )
    }
}
