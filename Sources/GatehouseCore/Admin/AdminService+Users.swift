import Foundation
import GatehousePostgres

extension AdminService {
    /// The changes a PATCH of a user asks for; `nil` leaves a field as it is.
    public struct UserChanges: Sendable {
        public var password: String?
        public var isActive: Bool?
        public var role: String?
        public var claims: [String: JSONValue]?

        public init(password: String? = nil, isActive: Bool? = nil, role: String? = nil, claims: [String: JSONValue]? = nil) {
            self.password = password
            self.isActive = isActive
            self.role = role
            self.claims = claims
        }
    }

    /// Creates a user with an Argon2id hash of `password`.
    public func createUser(
        tenant: String,
        username: String,
        password: String,
        role: String?,
        claims: [String: JSONValue]?,
        isActive: Bool?,
        actor: AdminActor
    ) async throws -> UserRecord {
        try Self.checkUsername(username)
        guard !password.isEmpty else { throw AdminError.invalid(field: "password", reason: "must not be empty") }
        let role = role ?? "user"
        try Self.checkRole(role)
        // Reach the tenant before spending a hash on the request.
        _ = try await self.database.withConnection { try await self.tenantID(tenant, actor: actor, on: $0) }
        let hash = try await self.hasher.hash(password)
        return try await Self.translate {
            try await self.database.withTransaction { connection in
                let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
                let rows = try await connection.query(
                    """
                    INSERT INTO users (tenant_id, username, password_hash, role, claims, is_active)
                    VALUES (\(tenantID), \(username), \(hash), \(role), \(PostgresJSONB(JSONValue.object(claims ?? [:]).jsonText)),
                            \(isActive ?? true))
                    RETURNING \(unsafeSQL: Self.userColumns)
                    """
                )
                let user = try Self.userRecord(rows[0])
                try await self.audit.record(
                    on: connection,
                    actor: actor,
                    tenantID: tenantID,
                    action: "user.create",
                    target: user.id.uuidString.lowercased(),
                    details: ["username": .string(username), "role": .string(role)]
                )
                return user
            }
        }
    }

    /// Users by username, a page at a time; `username` picks one exactly.
    public func listUsers(tenant: String, username: String?, cursor: String?, limit: Int?, actor: AdminActor) async throws -> Page<UserRecord> {
        let limit = try Self.pageSize(limit)
        let after = try Self.decodeCursor(cursor)
        return try await self.database.withConnection { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let rows = try await connection.query(
                """
                SELECT \(unsafeSQL: Self.userColumns) FROM users
                WHERE tenant_id = \(tenantID) AND (\(username)::text IS NULL OR username = \(username))
                  AND (\(after)::text IS NULL OR username > \(after))
                ORDER BY username LIMIT \(limit + 1)
                """
            )
            let items = try rows.prefix(limit).map(Self.userRecord)
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { Self.cursor($0.username) } : nil)
        }
    }

    /// One user.
    public func getUser(tenant: String, id: String, actor: AdminActor) async throws -> UserRecord {
        try await self.database.withConnection { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            return try await self.user(tenantID: tenantID, id: id, on: connection)
        }
    }

    /// Changes a user. A new password or `is_active: false` revokes every token the user
    /// holds, at once: outstanding refresh tokens are blacklisted and the user's revocation
    /// instant makes verify and me refuse the access tokens.
    public func updateUser(tenant: String, id: String, changes: UserChanges, actor: AdminActor) async throws -> UserRecord {
        if let password = changes.password, password.isEmpty { throw AdminError.invalid(field: "password", reason: "must not be empty") }
        if let role = changes.role { try Self.checkRole(role) }
        _ = try await self.database.withConnection { try await self.tenantID(tenant, actor: actor, on: $0) }
        let hash = try await changes.password.asyncMap { try await self.hasher.hash($0) }
        let (record, tenantID) = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let userID = try await self.user(tenantID: tenantID, id: id, on: connection).id
            let revoke = hash != nil || changes.isActive == false
            // The revocation instant is read once the row is ours (locked first, then
            // clock_timestamp(), not the transaction's start): a login holding the row
            // commits first, and the token it recorded has an earlier iat.
            try await connection.query("SELECT 1 FROM users WHERE tenant_id = \(tenantID) AND id = \(userID) FOR NO KEY UPDATE")
            try await connection.query(
                """
                UPDATE users SET password_hash = coalesce(\(hash), password_hash), is_active = coalesce(\(changes.isActive), is_active),
                                 role = coalesce(\(changes.role), role),
                                 claims = coalesce(\(changes.claims.map { PostgresJSONB(JSONValue.object($0).jsonText) }), claims),
                                 revoked_before = CASE WHEN \(revoke) THEN clock_timestamp() ELSE revoked_before END, updated_at = now()
                WHERE tenant_id = \(tenantID) AND id = \(userID)
                """
            )
            var details: [String: JSONValue] = [
                "fields": .array(
                    [
                        changes.password.map { _ in "password" }, changes.isActive.map { _ in "is_active" }, changes.role.map { _ in "role" },
                        changes.claims.map { _ in "claims" },
                    ].compactMap { $0 }.map(JSONValue.string)
                )
            ]
            if revoke {
                let reason: RefreshTokenStore.RevocationReason = hash != nil ? .passwordChanged : .deactivated
                let revoked = try await self.revokeRefreshTokens(
                    on: connection,
                    tenantID: tenantID,
                    users: [userID],
                    environmentID: nil,
                    reason: reason
                )
                details["refresh_tokens_revoked"] = .number(Double(revoked))
            }
            try await self.audit.record(
                on: connection,
                actor: actor,
                tenantID: tenantID,
                action: "user.update",
                target: userID.uuidString.lowercased(),
                details: details
            )
            return (try await self.user(tenantID: tenantID, id: id, on: connection), tenantID)
        }
        self.usersChanged(tenantID, user: record.id)
        return record
    }

    /// Deletes a user and their refresh tokens; their access tokens stop verifying at once.
    public func deleteUser(tenant: String, id: String, actor: AdminActor) async throws {
        let (tenantID, userID) = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let user = try await self.user(tenantID: tenantID, id: id, on: connection)
            let outstanding = try await connection.query(
                "SELECT count(*) FROM refresh_tokens WHERE tenant_id = \(tenantID) AND user_id = \(user.id) AND revoked_at IS NULL"
            ).single(Int64.self)
            try await connection.query("DELETE FROM users WHERE tenant_id = \(tenantID) AND id = \(user.id)")
            try await self.audit.record(
                on: connection,
                actor: actor,
                tenantID: tenantID,
                action: "user.delete",
                target: user.id.uuidString.lowercased(),
                details: ["username": .string(user.username), "refresh_tokens_revoked": .number(Double(outstanding))]
            )
            return (tenantID, user.id)
        }
        self.usersChanged(tenantID, user: userID)
    }

    // MARK: - Shared

    /// Blacklists the outstanding refresh tokens of `users` (in one environment, or all).
    func revokeRefreshTokens(
        on connection: PostgresConnection,
        tenantID: UUID,
        users: [UUID],
        environmentID: UUID?,
        reason: RefreshTokenStore.RevocationReason
    ) async throws -> Int {
        try await connection.query(
            """
            UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = \(reason.rawValue)
            WHERE tenant_id = \(tenantID) AND user_id = ANY(\(users)) AND revoked_at IS NULL
              AND (\(environmentID)::uuid IS NULL OR environment_id = \(environmentID))
            """
        ).affectedRows
    }

    static let userColumns: StaticString = "id, username, role, claims, is_active, last_login, revoked_before, created_at, updated_at"

    static func userRecord(_ row: PostgresRow) throws -> UserRecord {
        let (id, username, role, claims, isActive, lastLogin, revokedBefore, createdAt, updatedAt) = try row.decode(
            (UUID, String, String, PostgresJSONB, Bool, Date?, Date?, Date, Date).self
        )
        return UserRecord(
            id: id,
            username: username,
            role: role,
            claims: claims.object,
            isActive: isActive,
            lastLogin: lastLogin,
            revokedBefore: revokedBefore,
            createdAt: createdAt,
            updatedAt: updatedAt
        )
    }

    /// The user `id` of the tenant; a malformed id is as unknown as a missing one.
    func user(tenantID: UUID, id: String, on connection: PostgresConnection) async throws -> UserRecord {
        guard let userID = UUID(uuidString: id),
            let row = try await connection.query(
                "SELECT \(unsafeSQL: Self.userColumns) FROM users WHERE tenant_id = \(tenantID) AND id = \(userID)"
            ).first
        else { throw AdminError.notFound("user \(id)") }
        return try Self.userRecord(row)
    }

    static func checkUsername(_ username: String, field: String = "username") throws {
        guard User.isStorableUsername(username) else {
            throw AdminError.invalid(field: field, reason: "must be 1 to \(User.maximumUsernameLength) characters")
        }
    }

    static func checkRole(_ role: String, field: String = "role") throws {
        guard (1...64).contains(role.unicodeScalars.count) else { throw AdminError.invalid(field: field, reason: "must be 1 to 64 characters") }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
