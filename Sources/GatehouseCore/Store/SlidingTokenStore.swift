import Foundation
public import GatehousePostgres

/// Blacklisted sliding tokens in PostgreSQL, by jti (`sql/0006_sliding_tokens.sql`).
public struct SlidingTokenStore: Sendable {
    public init() {}

    /// Blacklists every copy of a sliding token; `false` when it already was.
    /// - Parameter until: when no copy can be used any more: its `refresh_exp`, plus the
    ///   longest life a copy refreshed just before it can have.
    func blacklist(on connection: PostgresConnection, realm: Realm, claims: TokenClaims, until: Date) async throws -> Bool {
        try await connection.query(
            """
            INSERT INTO blacklisted_sliding_tokens (tenant_id, jti, environment_id, user_id, expires_at)
            VALUES (\(realm.tenantID), \(claims.jti), \(realm.environmentID), \(claims.userID), \(until))
            ON CONFLICT (tenant_id, jti) DO NOTHING
            """
        ).affectedRows == 1
    }

    func isBlacklisted(on connection: PostgresConnection, realm: Realm, jti: UUID) async throws -> Bool {
        try await connection.query(
            "SELECT count(*) FROM blacklisted_sliding_tokens WHERE tenant_id = \(realm.tenantID) AND jti = \(jti)"
        ).single(Int.self) > 0
    }

    /// Deletes the rows no copy of their token can outlive; returns how many went.
    public func purgeExpired(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("DELETE FROM blacklisted_sliding_tokens WHERE expires_at < now()").affectedRows
    }
}
