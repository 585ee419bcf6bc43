import Foundation
import GatehousePostgres

extension TokenService {
    /// Exchanges a refresh token for a new access token and, when rotation is on, a new
    /// refresh token; the old one is blacklisted when the realm says so. Presenting a
    /// token that was already rotated revokes its whole family.
    public func refresh(in realm: Realm, token: String) async throws -> Pair {
        let claims = try await self.verified(token, in: realm, expecting: .refresh)
        let settings = realm.settings
        let now = self.clock.now()
        if let revokedBefore = realm.revokedBefore, claims.issuedAt < revokedBefore {
            throw Failure.token(.revoked)
        }
        if settings.rotateRefreshTokens && settings.blacklistAfterRotation {
            return try await self.rotate(in: realm, claims: claims, now: now)
        }
        enum Outcome {
            case issued(Pair)
            case refused(TokenError)
        }
        let outcome: Outcome = try await self.database.withTransaction { connection in
            guard let known = try await self.refreshTokens.find(on: connection, realm: realm, jti: claims.jti), known.reason == nil else {
                return .refused(.revoked)
            }
            guard let user = try await self.activeUser(on: connection, realm: realm, claims: claims) else {
                return .refused(.revoked)
            }
            let access = try self.issueAccess(realm: realm, user: user, now: now)
            guard settings.rotateRefreshTokens else { return .issued(Pair(access: access, refresh: nil)) }
            let refresh = try await self.issueRefresh(
                on: connection,
                realm: realm,
                user: user,
                familyID: known.familyID,
                jti: UUID(),
                parent: claims.jti,
                now: now
            )
            return .issued(Pair(access: access, refresh: refresh))
        }
        switch outcome {
        case .issued(let pair): return pair
        case .refused(let error): throw Failure.token(error)
        }
    }

    /// Rotation with blacklisting (the default): one statement decides, and only a refused
    /// rotation costs a second look, to tell a replay (revoke the family) from the rest.
    func rotate(in realm: Realm, claims: TokenClaims, now: Date) async throws -> Pair {
        let (refreshClaims, recorded) = self.standardClaims(
            .refresh,
            realm: realm,
            userID: claims.userID,
            jti: UUID(),
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        guard let owner = try await self.refreshTokens.rotate(database: self.database, realm: realm, old: claims, new: recorded) else {
            try await self.database.withTransaction { connection in
                try await self.revokeFamilyIfReplayed(on: connection, realm: realm, jti: claims.jti)
            }
            throw Failure.token(.revoked)
        }
        return Pair(
            access: try self.issueAccess(realm: realm, user: owner, now: now),
            refresh: try realm.codec.sign(.refresh, claims: refreshClaims, with: realm.ring.active)
        )
    }

    /// For a refresh token that was not outstanding: revokes its family when it is a replay
    /// of a rotated token outside the grace period. The database's clock judges the grace
    /// period against the instant it wrote at rotation, so a replay racing the rotation it
    /// loses to is a replay too.
    func revokeFamilyIfReplayed(on connection: PostgresConnection, realm: Realm, jti: UUID) async throws {
        if let familyID = try await self.refreshTokens.replayedFamily(on: connection, realm: realm, jti: jti, grace: realm.settings.reuseGrace) {
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
}
