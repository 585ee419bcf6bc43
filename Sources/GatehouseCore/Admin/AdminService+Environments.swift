import Foundation
import GatehousePostgres

extension AdminService {
    /// Adds an environment, with one active key, to a tenant.
    public func createEnvironment(tenant: String, slug: String, settings: [String: JSONValue], actor: AdminActor) async throws -> EnvironmentRecord {
        try Self.checkSlug(slug, field: "slug")
        try Self.checkSettings(settings, actor: actor)
        let (record, tenantID) = try await Self.translate {
            try await self.database.withTransaction { connection in
                let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
                // Counted under the tenant's row lock, so that concurrent creations cannot pass it together.
                let count = try await connection.query(
                    """
                    SELECT count(*) FROM environments
                    WHERE tenant_id = (SELECT id FROM tenants WHERE id = \(tenantID) FOR NO KEY UPDATE)
                    """
                ).single(Int.self)
                guard count < Self.maximumEnvironments else {
                    throw AdminError.conflict("a tenant has at most \(Self.maximumEnvironments) environments")
                }
                try await self.tenants.createEnvironment(
                    on: connection,
                    tenantID: tenantID,
                    slug: slug,
                    settings: settings,
                    keys: self.keys
                )
                try await self.audit.record(
                    on: connection,
                    actor: actor,
                    tenantID: tenantID,
                    action: "environment.create",
                    target: slug,
                    details: ["settings": .array(settings.keys.sorted().map(JSONValue.string))]
                )
                return (try await self.environment(tenant: tenant, tenantID: tenantID, slug: slug, on: connection), tenantID)
            }
        }
        self.realmsChanged(tenantID)
        return record
    }

    /// The environments of a tenant.
    public func listEnvironments(tenant: String, actor: AdminActor) async throws -> Page<EnvironmentRecord> {
        try await self.database.withConnection { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let rows = try await connection.query(
                "SELECT slug, settings, created_at, updated_at FROM environments WHERE tenant_id = \(tenantID) ORDER BY slug"
            )
            return Page(items: try rows.map { try self.environmentRecord(tenant: tenant, row: $0) }, nextCursor: nil)
        }
    }

    /// One environment.
    public func getEnvironment(tenant: String, slug: String, actor: AdminActor) async throws -> EnvironmentRecord {
        try await self.database.withConnection { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            return try await self.environment(tenant: tenant, tenantID: tenantID, slug: slug, on: connection)
        }
    }

    /// Merges `settings` into an environment's settings; `null` is a value for `audience`
    /// and the throttles (off), so a setting goes back to its default only when set to it.
    public func updateEnvironment(tenant: String, slug: String, settings: [String: JSONValue], actor: AdminActor) async throws -> EnvironmentRecord {
        try Self.checkSettings(settings, actor: actor)
        let (record, tenantID) = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            guard
                let before = try await connection.query(
                    "SELECT settings FROM environments WHERE tenant_id = \(tenantID) AND slug = \(slug) FOR NO KEY UPDATE"
                ).first
            else { throw AdminError.notFound("environment \(slug)") }
            let longestBefore = EnvironmentSettings(stored: try before.decode(PostgresJSONB.self).object).longestTokenValidity
            let updated = try await connection.query(
                """
                UPDATE environments SET settings = settings || \(PostgresJSONB(JSONValue.object(settings).jsonText)), updated_at = now()
                WHERE tenant_id = \(tenantID) AND slug = \(slug) RETURNING settings
                """
            )
            // The merged whole must still be valid (it is, setting by setting; this keeps it so).
            let merged = try updated.single(PostgresJSONB.self).object
            try Self.checkSettings(merged, actor: .system)
            // Tokens issued until now keep the longer lifetime they carry.
            if EnvironmentSettings(stored: merged).longestTokenValidity < longestBefore {
                try await connection.query(
                    """
                    UPDATE environments
                    SET longer_lifetimes_until = greatest(longer_lifetimes_until, now() + make_interval(secs => \(longestBefore.timeInterval)))
                    WHERE tenant_id = \(tenantID) AND slug = \(slug)
                    """
                )
            }
            try await self.audit.record(
                on: connection,
                actor: actor,
                tenantID: tenantID,
                action: "environment.update",
                target: slug,
                details: ["settings": .object(settings)]
            )
            return (try await self.environment(tenant: tenant, tenantID: tenantID, slug: slug, on: connection), tenantID)
        }
        self.realmsChanged(tenantID)
        return record
    }

    /// Deletes an environment with its keys, its refresh tokens and its revocations: its
    /// tokens stop verifying at once (its realm is gone). Users belong to the tenant and stay.
    public func deleteEnvironment(tenant: String, slug: String, actor: AdminActor) async throws {
        let tenantID = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(tenant, actor: actor, on: connection)
            let environmentID = try await self.environmentID(tenantID: tenantID, slug: slug, on: connection)
            let outstanding = try await connection.query(
                "SELECT count(*) FROM refresh_tokens WHERE tenant_id = \(tenantID) AND environment_id = \(environmentID) AND revoked_at IS NULL"
            ).single(Int64.self)
            try await connection.query("DELETE FROM environments WHERE tenant_id = \(tenantID) AND id = \(environmentID)")
            try await self.audit.record(
                on: connection,
                actor: actor,
                tenantID: tenantID,
                action: "environment.delete",
                target: slug,
                details: ["refresh_tokens_revoked": .number(Double(outstanding))]
            )
            return tenantID
        }
        self.realmsChanged(tenantID)
    }

    /// The environment's id, or ``AdminError/notFound(_:)``.
    func environmentID(tenantID: UUID, slug: String, on connection: PostgresConnection) async throws -> UUID {
        guard
            let id = try await connection.query(
                "SELECT id FROM environments WHERE tenant_id = \(tenantID) AND slug = \(slug)"
            ).first?.decode(UUID.self)
        else { throw AdminError.notFound("environment \(slug)") }
        return id
    }

    func environment(tenant: String, tenantID: UUID, slug: String, on connection: PostgresConnection) async throws -> EnvironmentRecord {
        guard
            let row = try await connection.query(
                "SELECT slug, settings, created_at, updated_at FROM environments WHERE tenant_id = \(tenantID) AND slug = \(slug)"
            ).first
        else { throw AdminError.notFound("environment \(slug)") }
        return try self.environmentRecord(tenant: tenant, row: row)
    }

    func environmentRecord(tenant: String, row: PostgresRow) throws -> EnvironmentRecord {
        let (slug, settings, createdAt, updatedAt) = try row.decode((String, PostgresJSONB, Date, Date).self)
        let effective = EnvironmentSettings(stored: settings.object)
        return EnvironmentRecord(
            slug: slug,
            issuer: self.issuers.issuer(tenant: tenant, environment: slug),
            settings: effective.json,
            createdAt: createdAt,
            updatedAt: updatedAt
        )
    }
}
