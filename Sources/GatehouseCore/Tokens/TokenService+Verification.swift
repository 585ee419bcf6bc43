import Foundation
import GatehousePostgres

extension TokenService {
    /// Checks a token of either type (SimpleJWT's verify): signature, expiry, type, blacklist,
    /// the user's revocation instant and whether the user is active.
    public func verify(in realm: Realm, token: String) async throws {
        let claims = try await self.verifier.verified(token, in: realm, expecting: nil)
        if claims.type == .refresh {
            let known = try await self.database.withConnection { try await self.refreshTokens.find(on: $0, realm: realm, jti: claims.jti) }
            guard let known, known.reason == nil else { throw Failure.token(.revoked) }
        }
        guard try await self.admission.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
    }

    /// Blacklists a refresh token (SimpleJWT's blacklist endpoint).
    public func blacklist(in realm: Realm, token: String) async throws {
        let claims = try await self.verifier.verified(token, in: realm, expecting: .refresh)
        // A token revoked through a revocation instant is already as good as blacklisted.
        guard try await self.admission.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .blacklisted)
        }
        guard revoked != nil else { throw Failure.token(.revoked) }
    }

    /// The user an access token speaks for, if it is valid and the user active and not revoked.
    public func authenticate(in realm: Realm, accessToken: String) async throws -> User {
        let claims = try await self.verifier.verified(accessToken, in: realm, expecting: .access)
        guard let user = try await self.admission.cachedActiveUser(realm: realm, claims: claims) else { throw Failure.token(.revoked) }
        return user
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
}
