import Foundation
import GatehousePostgres

extension TokenService {
    /// Checks a token of either type (SimpleJWT's verify): signature, expiry, type, blacklist,
    /// the user's revocation instant and whether the user is active.
    public func verify(in realm: Realm, token: String) async throws {
        let claims = try await self.verified(token, in: realm, expecting: nil)
        if claims.type == .refresh {
            let known = try await self.database.withConnection { try await self.refreshTokens.find(on: $0, realm: realm, jti: claims.jti) }
            guard let known, known.reason == nil else { throw Failure.token(.revoked) }
        }
        guard try await self.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
    }

    /// Blacklists a refresh token (SimpleJWT's blacklist endpoint).
    public func blacklist(in realm: Realm, token: String) async throws {
        let claims = try await self.verified(token, in: realm, expecting: .refresh)
        // A token revoked through a revocation instant is already as good as blacklisted.
        guard try await self.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .blacklisted)
        }
        guard revoked != nil else { throw Failure.token(.revoked) }
    }

    /// The user an access token speaks for, if it is valid and the user active and not revoked.
    public func authenticate(in realm: Realm, accessToken: String) async throws -> User {
        let claims = try await self.verified(accessToken, in: realm, expecting: .access)
        guard let user = try await self.cachedActiveUser(realm: realm, claims: claims) else { throw Failure.token(.revoked) }
        return user
    }

    /// Blacklists the caller's own refresh token.
    public func logout(in realm: Realm, user: User, refreshToken: String) async throws {
        guard let claims = try? await self.verified(refreshToken, in: realm, expecting: .refresh), claims.userID == user.id else {
            throw Failure.notOwnToken
        }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .logout)
        }
        guard revoked != nil else { throw Failure.notOwnToken }
    }

    /// Verifies a token's signature and claims. An unknown `kid` waits for a copy of the
    /// realm read after the token arrived, in case another instance made the key a moment
    /// ago: such reads are shared by every request waiting for one and come at most ten a
    /// second per realm, so made-up kids cost no more than that and cannot crowd out the
    /// read a genuine new key needs.
    func verified(_ token: String, in realm: Realm, expecting type: TokenType?) async throws -> TokenClaims {
        let arrived = ContinuousClock.now
        let now = self.clock.now()
        do {
            return try realm.verify(token, expecting: type, now: now)
        } catch .unknownKey {
            guard let reloaded = try await self.realms.realm(of: realm, loadedAfter: arrived) else { throw Failure.token(.invalid) }
            do {
                return try reloaded.verify(token, expecting: type, now: self.clock.now())
            } catch {
                throw Failure.token(error)
            }
        } catch {
            throw Failure.token(error)
        }
    }

    /// The token's user when active and not revoked since the token was issued, read from
    /// the database (inside a refresh's transaction).
    func activeUser(on connection: PostgresConnection, realm: Realm, claims: TokenClaims) async throws -> User? {
        let found = try await self.users.find(
            on: connection,
            tenantID: realm.tenantID,
            id: claims.userID,
            environmentID: realm.environmentID
        )
        guard let (user, environmentRevocation) = found else { return nil }
        return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
    }

    /// ``activeUser(on:realm:claims:)`` through the user cache: no round trip when cached.
    func cachedActiveUser(realm: Realm, claims: TokenClaims) async throws -> User? {
        if let (user, environmentRevocation) = self.userCache.lookup(
            tenant: realm.tenantID,
            user: claims.userID,
            environment: realm.environmentID
        ) {
            return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
        }
        let generation = self.userCache.generation
        let found: (user: User, environmentRevokedBefore: Date?)?
        do {
            found = try await self.database.withConnection { connection in
                try await self.users.find(
                    on: connection,
                    tenantID: realm.tenantID,
                    id: claims.userID,
                    environmentID: realm.environmentID
                )
            }
        } catch let error as PostgresError where error.isUnavailable {
            // The database is away: the copy from before the last periodic reload still holds.
            guard
                let (user, environmentRevocation) = self.userCache.staleLookup(
                    tenant: realm.tenantID,
                    user: claims.userID,
                    environment: realm.environmentID
                )
            else { throw error }
            return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
        }
        guard let (user, environmentRevocation) = found else { return nil }
        self.userCache.store(user, environment: realm.environmentID, environmentRevokedBefore: environmentRevocation, generation: generation)
        return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
    }

    static func admits(_ user: User, _ environmentRevocation: Date?, realm: Realm, claims: TokenClaims) -> Bool {
        guard user.isActive else { return false }
        for instant in [user.revokedBefore, realm.revokedBefore, environmentRevocation] {
            if let instant, claims.issuedAt < instant { return false }
        }
        return true
    }
}
