import Foundation
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
    /// one transaction that writes one row: a revocation list holding every user (or, for
    /// `all_users`, the environments' instant), so 100,000 users with a million refresh
    /// tokens take about a second. Names and ids that are not in the tenant are reported,
    /// not an error.
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
                    SELECT id, username, revoked_before FROM users WHERE tenant_id = \(tenantID) AND username = ANY(\(names))
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
                    SELECT id, username, revoked_before FROM users WHERE tenant_id = \(tenantID) AND id = ANY(\(ids))
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

    /// Revokes the users in the temporary table `revocation_targets` with one revocation
    /// list (one row, whatever the number of users). Every refresh and access token of
    /// theirs issued before now is refused from then on by refresh, verify, blacklist and me;
    /// the refresh-token rows stay until the scheduler purges them once expired. The count
    /// is of the refresh tokens that were still valid until now.
    private func revokeTargets(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID?) async throws -> RevocationResult {
        var result = try await self.countStillValid(on: connection, tenantID: tenantID, environmentID: environmentID)
        let users =
            try await connection.query(
                """
                INSERT INTO revocation_lists (tenant_id, environment_id, revoked_before, user_ids)
                SELECT \(tenantID), \(environmentID), now(), array_agg(id) FROM revocation_targets HAVING count(*) > 0
                RETURNING cardinality(user_ids)
                """
            ).first?.decode(Int.self) ?? 0
        result.users = users
        return result
    }

    /// Revokes every user of the tenant (or of one environment) through the environments'
    /// revocation instant: one row per environment.
    private func revokeAll(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID?) async throws -> RevocationResult {
        try await connection.query(
            """
            CREATE TEMPORARY TABLE revocation_targets ON COMMIT DROP AS SELECT id, username, revoked_before FROM users WHERE tenant_id = \(tenantID)
            """
        )
        var result = try await self.countStillValid(on: connection, tenantID: tenantID, environmentID: environmentID)
        try await connection.query(
            """
            UPDATE environments SET tokens_revoked_before = now(), updated_at = now()
            WHERE tenant_id = \(tenantID) AND (\(environmentID)::uuid IS NULL OR id = \(environmentID))
            """
        )
        result.users = try await connection.query("SELECT count(*) FROM revocation_targets").single(Int.self)
        return result
    }

    /// Counts the refresh tokens of the users in `revocation_targets` that are still valid:
    /// outstanding, unexpired, and issued after every revocation that covers them.
    private func countStillValid(on connection: PostgresConnection, tenantID: UUID, environmentID: UUID?) async throws -> RevocationResult {
        try await connection.query("ANALYZE revocation_targets")
        let tokens = try await connection.query(
            """
            WITH listed AS MATERIALIZED (
                SELECT unnest(user_ids) AS user_id, environment_id, revoked_before FROM revocation_lists WHERE tenant_id = \(tenantID)
            )
            SELECT count(*) FROM revocation_targets t
            JOIN refresh_tokens r ON r.tenant_id = \(tenantID) AND r.user_id = t.id
            JOIN environments e ON e.tenant_id = r.tenant_id AND e.id = r.environment_id
            WHERE r.revoked_at IS NULL AND r.expires_at > now() AND (\(environmentID)::uuid IS NULL OR r.environment_id = \(environmentID))
              AND (t.revoked_before IS NULL OR r.issued_at >= t.revoked_before)
              AND (e.tokens_revoked_before IS NULL OR r.issued_at >= e.tokens_revoked_before)
              AND NOT EXISTS (
                  SELECT 1 FROM listed x
                  WHERE x.user_id = r.user_id AND x.revoked_before > r.issued_at
                    AND (x.environment_id IS NULL OR x.environment_id = r.environment_id)
              )
            """
        ).single(Int.self)
        return RevocationResult(users: 0, refreshTokensRevoked: tokens, unknownUsernames: [], unknownUserIDs: [])
    }
}
