public import Foundation
public import GatehousePostgres

/// Users in PostgreSQL.
public struct UserStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// The user with this username in the tenant (case-sensitive), if any.
    public func find(tenantID: UUID, username: String) async throws -> User? {
        let rows = try await self.database.query(
            """
            SELECT id, tenant_id, username, password_hash, role, claims, is_active, last_login, revoked_before
            FROM users WHERE tenant_id = \(tenantID) AND username = \(username)
            """
        )
        return try rows.first.map(Self.user)
    }

    /// Records a login that stores no refresh token (a sliding token's): `last_login` when
    /// the realm says so, and a rehashed password, both only while the checked hash is still
    /// the user's and the user active (a `nil` `checkedHash` never is).
    /// - Returns: `false` when a new password or a deactivation came first.
    func recordLogin(
        tenantID: UUID,
        userID: UUID,
        checkedHash: String?,
        at instant: Date,
        updateLastLogin: Bool,
        rehashedPassword: String?
    ) async throws -> Bool {
        try await self.database.query(
            """
            WITH checked AS (
                SELECT id FROM users
                WHERE tenant_id = \(tenantID) AND id = \(userID) AND is_active AND password_hash = \(checkedHash)
                FOR NO KEY UPDATE
            ), touched AS (
                UPDATE users SET last_login = CASE WHEN \(updateLastLogin) THEN \(instant) ELSE last_login END,
                                 password_hash = coalesce(\(rehashedPassword), password_hash)
                WHERE tenant_id = \(tenantID) AND id IN (SELECT id FROM checked)
                  AND (\(updateLastLogin) OR \(rehashedPassword) IS NOT NULL)
            )
            SELECT count(*) FROM checked
            """
        ).single(Int.self) == 1
    }

    /// The user with this id in the tenant, if any, without the password hash (what admits a
    /// token), and the latest instant before which a revocation list refuses the user's
    /// tokens in one environment.
    public func find(
        on connection: PostgresConnection,
        tenantID: UUID,
        id: UUID,
        environmentID: UUID
    ) async throws -> (user: User, environmentRevokedBefore: Date?)? {
        let rows = try await connection.query(
            """
            SELECT u.id, u.tenant_id, u.username, NULL::text, u.role, u.claims, u.is_active, u.last_login,
                   u.revoked_before,
                   (SELECT max(l.revoked_before) FROM revocation_lists l
                    WHERE l.user_ids @> ARRAY[u.id] AND l.tenant_id = u.tenant_id
                      AND (l.environment_id IS NULL OR l.environment_id = \(environmentID)))
            FROM users u WHERE u.tenant_id = \(tenantID) AND u.id = \(id)
            """
        )
        guard let row = rows.first else { return nil }
        return (try Self.user(row), try row.decode(column: 9, as: Date?.self))
    }

    /// Creates a user; a taken username is a ``PostgresError`` with ``SQLState/uniqueViolation``.
    public func create(
        tenantID: UUID,
        username: String,
        passwordHash: String,
        role: String = "user",
        claims: [String: JSONValue] = [:],
        isActive: Bool = true
    ) async throws -> User {
        let rows = try await self.database.query(
            """
            INSERT INTO users (tenant_id, username, password_hash, role, claims, is_active)
            VALUES (\(tenantID), \(username), \(passwordHash), \(role), \(PostgresJSONB(JSONValue.object(claims).jsonText)), \(isActive))
            RETURNING id, tenant_id, username, password_hash, role, claims, is_active, last_login, revoked_before
            """
        )
        return try Self.user(rows[0])
    }

    /// A user from the first nine columns of a row, in the order of ``find(tenantID:username:)``.
    static func user(_ row: PostgresRow) throws -> User {
        let id = try row.decode(column: 0, as: UUID.self)
        let tenantID = try row.decode(column: 1, as: UUID.self)
        let username = try row.decode(column: 2, as: String.self)
        let passwordHash = try row.decode(column: 3, as: String?.self)
        let role = try row.decode(column: 4, as: String.self)
        let claims = try row.decode(column: 5, as: PostgresJSONB.self)
        let isActive = try row.decode(column: 6, as: Bool.self)
        let lastLogin = try row.decode(column: 7, as: Date?.self)
        let revokedBefore = try row.decode(column: 8, as: Date?.self)
        return User(
            id: id,
            tenantID: tenantID,
            username: username,
            passwordHash: passwordHash,
            role: role,
            claims: claims.object,
            isActive: isActive,
            lastLogin: lastLogin,
            revokedBefore: revokedBefore
        )
    }
}
