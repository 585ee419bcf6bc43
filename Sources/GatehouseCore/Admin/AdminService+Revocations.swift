public import Foundation
import GatehousePostgres

extension AdminService {
    /// Whose tokens a bulk revocation revokes.
    public enum RevocationTarget: Sendable {
        case userIDs([String])
        case usernames([String])
        case allUsers
    }

    /// The most users one revocation may name.
    public static let maximumRevocationTargets = 100_000

    /// Revokes every token of the target users, in every environment of the tenant or in
    /// one, through revocation instants that refresh, verify, blacklist and me check: their
    /// refresh and access tokens stop working at once, on every instance. Set-based SQL in
    /// one transaction, one row written per user (or per environment for `all_users`), so
    /// 100,000 users with a million refresh tokens take about a second. Names and ids that
    /// are not in the tenant are reported, not an error.
    public func revoke(tenant: String, target: RevocationTarget, environment: String?, actor: AdminActor) async throws -> RevocationResult {
        var unknownIDs: [String] = []
        var ids: [UUID] = []
        switch target {
        case .userIDs(let given):
            guard given.count <= Self.maximumRevocationTargets else {
                throw AdminError.invalid(field: "user_ids", reason: "at most \(Self.maximumRevocationTargets) in one call")
            }
            for text in given {
                if let id = UUID(uuidString: text) { ids.append(id) } else { unknownIDs.append(text) }
            }
        case .usernames(let given):
            guard given.count <= Self.maximumRevocationTargets else {
                throw AdminError.invalid(field: "usernames", reason: "at most \(Self.maximumRevocationTargets) in one call")
            }
        case .allUsers:
            break
        }
        let (result, tenantID) = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let environmentID = try await environment.asyncMap { try await self.environmentID(tenantID: tenantID, slug: $0, on: connection) }
            var result: RevocationResult
            switch target {
            case .allUsers:
                result = try await self.revokeAll(on: connection, tenantID: tenantID, environmentID: environmentID)
            case .usernames(let names):
                try await connection.query(
                    """
                    CREATE TEMPORARY TABLE revocation_targets ON COMMIT DROP AS
                    SELECT id, username FROM users WHERE tenant_id = \(tenantID) AND username = ANY(\(names))
                    """
                )
                result = try await self.revokeTargets(on: connection, tenantID: tenantID, environmentID: environmentID)
                result.unknownUsernames = try await connection.query(
                    """
                    SELECT coalesce(array_agg(name ORDER BY position), '{}') FROM unnest(\(names)::text[]) WITH ORDINALITY AS given (name, position)
                    WHERE NOT EXISTS (SELECT 1 FROM revocation_targets t WHERE t.username = given.name)
                    """
                ).single([String].self)
            case .userIDs:
                try await connection.query(
                    """
                    CREATE TEMPORARY TABLE revocation_targets ON COMMIT DROP AS
                    SELECT id, username FROM users WHERE tenant_id = \(tenantID) AND id = ANY(\(ids))
                    """
                )
                result = try await self.revokeTargets(on: connection, tenantID: tenantID, environmentID: environmentID)
                let missing = try await connection.query(
                    """
                    SELECT coalesce(array_agg(id ORDER BY position), '{}') FROM unnest(\(ids)::uuid[]) WITH ORDINALITY AS given (id, position)
                    WHERE NOT EXISTS (SELECT 1 FROM revocation_targets t WHERE t.id = given.id)
                    """
                ).single([UUID].self)
                result.unknownUserIDs = unknownIDs + missing.map { $0.uuidString.lowercased() }
            }
            var details: [String: JSONValue] = [
                "users": .number(Double(result.users)),
                "refresh_tokens_revoked": .number(Double(result.refreshTokensRevoked)),
                "unknown": .number(Double(result.unknownUsernames.count + result.unknownUserIDs.count)),
            ]
            switch target {
            case .allUsers: details["selector"] = "all_users"
            case .usernames: details["selector"] = "usernames"
            case .userIDs: details["selector"] = "user_ids"
            }
            if let environment { details["environment"] = .string(environment) }
            try await self.audit.record(on: connection, actor: actor, tenantID: tenantID, action: "revocation.create", details: details)
            return (result, tenantID)
        }
        self.usersChanged(tenantID)
        if case .allUsers = target { self.realmsChanged(tenantID) }
        return result
    }

    /// Revokes the users in the temporary table `revocation_targets` through their revocation
    /// instant: one row per user, not one per refresh token. Every refresh token issued
    /// before the instant is refused from then on (refresh, verify and blacklist check it, as
    /// verify and me do for access tokens); its row stays until the scheduler purges it once
    /// expired. The count is of the refresh tokens that were still valid until now.
    private func revokeTargets(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID?) async throws -> RevocationResult {
        try await connection.query("ANALYZE revocation_targets")
        let tokens = try await connection.query(
            """
            SELECT count(*) FROM refresh_tokens r JOIN revocation_targets t ON r.user_id = t.id
            WHERE r.tenant_id = \(tenantID) AND (\(environmentID)::uuid IS NULL OR r.environment_id = \(environmentID))
              AND \(unsafeSQL: Self.stillValid)
            """
        ).single(Int.self)
        let users: Int
        if let environmentID {
            users = try await connection.query(
                """
                INSERT INTO user_environment_revocations (tenant_id, environment_id, user_id, revoked_before)
                SELECT \(tenantID), \(environmentID), id, now() FROM revocation_targets
                ON CONFLICT (tenant_id, environment_id, user_id) DO UPDATE SET revoked_before = excluded.revoked_before
                """
            ).affectedRows
        } else {
            users = try await connection.query(
                """
                UPDATE users u SET revoked_before = now(), updated_at = now()
                FROM revocation_targets t WHERE u.tenant_id = \(tenantID) AND u.id = t.id
                """
            ).affectedRows
        }
        return RevocationResult(users: users, refreshTokensRevoked: tokens, unknownUsernames: [], unknownUserIDs: [])
    }

    /// Revokes every user of the tenant (or of one environment) through the environments'
    /// revocation instant: one row per environment instead of one per user or token.
    private func revokeAll(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID?) async throws -> RevocationResult {
        let tokens = try await connection.query(
            """
            SELECT count(*) FROM refresh_tokens r
            WHERE r.tenant_id = \(tenantID) AND (\(environmentID)::uuid IS NULL OR r.environment_id = \(environmentID))
              AND \(unsafeSQL: Self.stillValid)
            """
        ).single(Int.self)
        try await connection.query(
            """
            UPDATE environments SET tokens_revoked_before = now(), updated_at = now()
            WHERE tenant_id = \(tenantID) AND (\(environmentID)::uuid IS NULL OR id = \(environmentID))
            """
        )
        let users = try await connection.query("SELECT count(*) FROM users WHERE tenant_id = \(tenantID)").single(Int64.self)
        return RevocationResult(users: Int(users), refreshTokensRevoked: tokens, unknownUsernames: [], unknownUserIDs: [])
    }

    /// A refresh token `r` that is still valid: not blacklisted, not expired, and issued after
    /// every revocation instant that covers it (its user's, its environment's, its user's in
    /// its environment).
    static let stillValid: StaticString = """
        r.revoked_at IS NULL AND r.expires_at > now()
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = r.tenant_id AND u.id = r.user_id AND u.revoked_before > r.issued_at)
        AND NOT EXISTS (SELECT 1 FROM environments e WHERE e.tenant_id = r.tenant_id AND e.id = r.environment_id AND e.tokens_revoked_before > r.issued_at)
        AND NOT EXISTS (
            SELECT 1 FROM user_environment_revocations x
            WHERE x.tenant_id = r.tenant_id AND x.environment_id = r.environment_id AND x.user_id = r.user_id AND x.revoked_before > r.issued_at
        )
        """
}
