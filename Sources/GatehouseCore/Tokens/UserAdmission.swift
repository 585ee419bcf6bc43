import Foundation
import GatehousePostgres

/// Whether a token's user may still use it: active, and not revoked (user, environment or
/// realm) since the token was issued. Read through the user cache, which falls back to its
/// copy from before the last periodic reload while the database is away.
struct UserAdmission: Sendable {
    let database: PostgresClient
    let users: UserStore
    let cache: UserCache

    /// The token's user when admitted, read from the database (inside a refresh's transaction).
    func activeUser(on connection: PostgresConnection, realm: Realm, claims: TokenClaims) async throws -> User? {
        let found = try await self.users.find(on: connection, tenantID: realm.tenantID, id: claims.userID, environmentID: realm.environmentID)
        guard let (user, environmentRevocation) = found else { return nil }
        return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
    }

    /// ``activeUser(on:realm:claims:)`` through the cache: no round trip when cached.
    func cachedActiveUser(realm: Realm, claims: TokenClaims) async throws -> User? {
        if let (user, environmentRevocation) = self.cache.lookup(tenant: realm.tenantID, user: claims.userID, environment: realm.environmentID) {
            return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
        }
        let generation = self.cache.generation
        let found: (user: User, environmentRevokedBefore: Date?)?
        do {
            found = try await self.database.withConnection { connection in
                try await self.users.find(on: connection, tenantID: realm.tenantID, id: claims.userID, environmentID: realm.environmentID)
            }
        } catch let error as PostgresError where error.isUnavailable {
            // The database is away: the copy from before the last periodic reload still holds.
            guard
                let (user, environmentRevocation) = self.cache.staleLookup(
                    tenant: realm.tenantID,
                    user: claims.userID,
                    environment: realm.environmentID
                )
            else { throw error }
            return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
        }
        guard let (user, environmentRevocation) = found else { return nil }
        self.cache.store(user, environment: realm.environmentID, environmentRevokedBefore: environmentRevocation, generation: generation)
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
