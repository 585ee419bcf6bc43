import Foundation
import GatehousePostgres

extension TokenService {
    /// Checks a token of any type (SimpleJWT's verify): signature, expiry, type, blacklist,
    /// the user's revocation instant and whether the user is active.
    public func verify(in realm: Realm, token: String) async throws {
        let claims = try await self.verifier.verified(token, in: realm, expecting: nil)
        guard try await self.activeUser(in: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
    }

    /// The user a verified token of any type speaks for, while it is active: a refresh token
    /// neither rotated nor blacklisted, a sliding token not blacklisted, and the user active
    /// and not revoked since the token was issued; `nil` otherwise.
    func activeUser(in realm: Realm, claims: TokenClaims) async throws -> User? {
        switch claims.type {
        case .refresh:
            let known = try await self.database.withConnection { try await self.refreshTokens.find(on: $0, realm: realm, jti: claims.jti) }
            guard let known, known.reason == nil else { return nil }
            return try await self.admission.cachedActiveUser(realm: realm, claims: claims)
        case .sliding:
            return try await self.admittedSliding(in: realm, claims: claims)
        case .access:
            return try await self.admission.cachedActiveUser(realm: realm, claims: claims)
        }
    }

    /// Blacklists a refresh token, or every copy of a sliding token (SimpleJWT's blacklist endpoint).
    public func blacklist(in realm: Realm, token: String) async throws {
        let claims = try await self.verifier.verified(token, in: realm, expecting: nil)
        guard claims.type != .access else { throw Failure.token(.wrongType) }
        // A token revoked through a revocation instant is already as good as blacklisted.
        guard try await self.admission.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
        if claims.type == .sliding {
            guard try await self.blacklistSliding(in: realm, claims: claims) else { throw Failure.token(.revoked) }
            return
        }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .blacklisted)
        }
        guard revoked != nil else { throw Failure.token(.revoked) }
    }

    /// The user a bearer token speaks for: an access token, or a sliding one where the realm
    /// has them, valid, with the user active and not revoked.
    public func authenticate(in realm: Realm, accessToken: String) async throws -> User {
        let claims = try await self.verifier.verified(accessToken, in: realm, expecting: nil)
        switch claims.type {
        case .access:
            guard let user = try await self.admission.cachedActiveUser(realm: realm, claims: claims) else { throw Failure.token(.revoked) }
            return user
        case .sliding where realm.settings.slidingTokens:
            guard let user = try await self.admittedSliding(in: realm, claims: claims) else { throw Failure.token(.revoked) }
            return user
        case .sliding, .refresh:
            throw Failure.token(.wrongType)
        }
    }

    /// Blacklists the caller's own refresh token.
    public func logout(in realm: Realm, user: User, refreshToken: String) async throws {
        guard let claims = try? await self.verifier.verified(refreshToken, in: realm, expecting: .refresh), claims.userID == user.id else {
            throw Failure.notOwnToken
        }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .logout)
        }
        guard revoked != nil else { throw Failure.notOwnToken }
    }

    /// Logs out the sliding token a request was authenticated with, blacklisting every copy
    /// of it; `false` when the bearer is not a sliding token.
    public func logoutSliding(in realm: Realm, bearer: String) async throws -> Bool {
        guard realm.settings.slidingTokens, let claims = try? await self.verifier.verified(bearer, in: realm, expecting: .sliding) else {
            return false
        }
        _ = try await self.blacklistSliding(in: realm, claims: claims)
        return true
    }
}
