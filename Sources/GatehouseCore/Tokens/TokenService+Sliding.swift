import Foundation
import GatehousePostgres

/// Sliding tokens (contract section 7, setting `sliding_tokens`): SimpleJWT's
/// `TokenObtainSlidingView` and `TokenRefreshSlidingView`.
extension TokenService {
    /// Logs a user in with a sliding token, refreshable for `sliding_token_refresh_lifetime`.
    public func obtainSliding(in realm: Realm, username: String, password: String) async throws -> String {
        let (user, rehashed, attempt) = try await self.checkCredentials(in: realm, username: username, password: password)
        let now = self.clock.now()
        let recorded = try await self.users.recordLogin(
            tenantID: realm.tenantID,
            userID: user.id,
            checkedHash: user.passwordHash,
            at: now,
            updateLastLogin: realm.settings.updateLastLogin,
            rehashedPassword: rehashed
        )
        // A new password or a deactivation came first: the checked password is stale.
        guard recorded else { throw Failure.noActiveAccount }
        let token = try self.issuer.sliding(
            realm: realm,
            user: user,
            now: now,
            refreshExpiresAt: now + realm.settings.slidingTokenRefreshLifetime.timeInterval
        )
        self.loginGuard.succeeded(attempt)
        return token
    }

    /// A new sliding token for a valid one, with the same `jti` and `refresh_exp`; refused
    /// once `refresh_exp` has passed, and like any use when blacklisted or revoked.
    public func refreshSliding(in realm: Realm, token: String) async throws -> String {
        let claims = try await self.verifier.verified(token, in: realm, expecting: .sliding)
        let now = self.clock.now()
        guard let refreshExpiresAt = claims.refreshExpiresAt, now < refreshExpiresAt else { throw Failure.token(.expired) }
        guard let user = try await self.admittedSliding(in: realm, claims: claims) else { throw Failure.token(.revoked) }
        return try self.issuer.sliding(realm: realm, user: user, now: now, jti: claims.jti, refreshExpiresAt: refreshExpiresAt)
    }

    /// The user of a sliding token that is not blacklisted and whose user is admitted.
    func admittedSliding(in realm: Realm, claims: TokenClaims) async throws -> User? {
        let blacklisted = try await self.database.withConnection {
            try await self.slidingTokens.isBlacklisted(on: $0, realm: realm, jti: claims.jti)
        }
        guard !blacklisted else { return nil }
        return try await self.admission.cachedActiveUser(realm: realm, claims: claims)
    }

    /// Blacklists every copy of a sliding token; `false` when it already was.
    func blacklistSliding(in realm: Realm, claims: TokenClaims) async throws -> Bool {
        // Every copy is dead once a copy refreshed at the last moment has expired too.
        let until = (claims.refreshExpiresAt ?? claims.expiresAt) + EnvironmentSettings.maximumTokenLifetimeAfterRefresh.timeInterval
        return try await self.database.withConnection {
            try await self.slidingTokens.blacklist(on: $0, realm: realm, claims: claims, until: until)
        }
    }
}
