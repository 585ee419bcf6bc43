import Foundation
import GatehousePostgres

extension AdminService {
    /// Creates a tenant with its environments, each with one active key.
    /// - Parameters:
    ///   - slug: `[a-z0-9][a-z0-9-]{0,62}`.
    ///   - name: a display name, up to 200 characters.
    ///   - environments: environment slugs (default `prod`).
    public func createTenant(slug: String, name: String?, environments: [String]?, actor: AdminActor) async throws -> TenantRecord {
        try self.requireGlobal(actor)
        try Self.checkSlug(slug, field: "slug")
        let environments = environments ?? ["prod"]
        guard !environments.isEmpty else { throw AdminError.invalid(field: "environments", reason: "must name at least one environment") }
        for environment in environments { try Self.checkSlug(environment, field: "environments") }
        guard Set(environments).count == environments.count else {
            throw AdminError.invalid(field: "environments", reason: "must not repeat a slug")
        }
        guard environments.count <= Self.maximumEnvironments else {
            throw AdminError.invalid(field: "environments", reason: "at most \(Self.maximumEnvironments) per tenant")
        }
        let name = name ?? ""
        guard name.count <= 200 else { throw AdminError.invalid(field: "name", reason: "must be at most 200 characters") }
        return try await Self.translate {
            try await self.database.withTransaction { connection in
                let tenantID = try await connection.query(
                    "INSERT INTO tenants (slug, name) VALUES (\(slug), \(name)) RETURNING id"
                ).single(UUID.self)
                for environment in environments {
                    try await self.tenants.createEnvironment(
                        on: connection,
                        tenantID: tenantID,
                        slug: environment,
                        settings: [:],
                        keys: self.keys
                    )
                }
                try await self.audit.record(
                    on: connection,
                    actor: actor,
                    tenantID: tenantID,
                    action: "tenant.create",
                    target: slug,
                    details: ["environments": .array(environments.map(JSONValue.string))]
                )
                return try await self.tenant(id: tenantID, on: connection)
            }
        }
    }

    /// Tenants by slug, a page at a time (global actors only).
    public func listTenants(cursor: String?, limit: Int?, actor: AdminActor) async throws -> Page<TenantRecord> {
        try self.requireGlobal(actor)
        let limit = try Self.pageSize(limit)
        let after = try Self.decodeCursor(cursor)
        return try await self.database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT t.id, t.slug, t.name, coalesce(array_agg(e.slug ORDER BY e.slug) FILTER (WHERE e.slug IS NOT NULL), '{}'),
                       t.created_at, t.updated_at
                FROM tenants t LEFT JOIN environments e ON e.tenant_id = t.id
                WHERE \(after)::text IS NULL OR t.slug > \(after)
                GROUP BY t.id ORDER BY t.slug LIMIT \(limit + 1)
                """
            )
            let items = try rows.prefix(limit).map(Self.tenantRecord)
            return Page(items: items, nextCursor: rows.count > limit ? items.last.map { Self.cursor($0.slug) } : nil)
        }
    }

    /// One tenant.
    public func getTenant(_ slug: String, actor: AdminActor) async throws -> TenantRecord {
        try await self.database.withConnection { connection in
            let tenantID = try await self.tenantID(slug, actor: actor, on: connection)
            return try await self.tenant(id: tenantID, on: connection)
        }
    }

    /// Renames a tenant.
    public func updateTenant(_ slug: String, name: String?, actor: AdminActor) async throws -> TenantRecord {
        if let name, name.count > 200 { throw AdminError.invalid(field: "name", reason: "must be at most 200 characters") }
        return try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(slug, actor: actor, on: connection)
            if let name {
                try await connection.query("UPDATE tenants SET name = \(name), updated_at = now() WHERE id = \(tenantID)")
                try await self.audit.record(
                    on: connection,
                    actor: actor,
                    tenantID: tenantID,
                    action: "tenant.update",
                    target: slug,
                    details: ["fields": .array([.string("name")])]
                )
            }
            return try await self.tenant(id: tenantID, on: connection)
        }
    }

    /// Deletes a tenant and with it every environment, key, user and token: its tokens stop
    /// verifying at once. The audit log keeps its record.
    public func deleteTenant(_ slug: String, actor: AdminActor) async throws {
        let tenantID = try await self.database.withTransaction { connection in
            let tenantID = try await self.tenantID(slug, actor: actor, on: connection)
            let (users, outstanding) = try await connection.query(
                """
                SELECT (SELECT count(*) FROM users WHERE tenant_id = \(tenantID)),
                       (SELECT count(*) FROM refresh_tokens WHERE tenant_id = \(tenantID) AND revoked_at IS NULL)
                """
            ).single((Int64, Int64).self)
            try await connection.query("DELETE FROM tenants WHERE id = \(tenantID)")
            try await self.audit.record(
                on: connection,
                actor: actor,
                tenantID: tenantID,
                action: "tenant.delete",
                target: slug,
                details: ["users": .number(Double(users)), "refresh_tokens_revoked": .number(Double(outstanding))]
            )
            return tenantID
        }
        self.realmsChanged(tenantID)
        self.usersChanged(tenantID)
    }

    // MARK: - Reading

    func tenant(id: UUID, on connection: PostgresConnection) async throws -> TenantRecord {
        let rows = try await connection.query(
            """
            SELECT t.id, t.slug, t.name, coalesce(array_agg(e.slug ORDER BY e.slug) FILTER (WHERE e.slug IS NOT NULL), '{}'),
                   t.created_at, t.updated_at
            FROM tenants t LEFT JOIN environments e ON e.tenant_id = t.id
            WHERE t.id = \(id) GROUP BY t.id
            """
        )
        guard let row = rows.first else { throw AdminError.notFound("tenant") }
        return try Self.tenantRecord(row)
    }

    private static func tenantRecord(_ row: PostgresRow) throws -> TenantRecord {
        let (id, slug, name, environments, createdAt, updatedAt) = try row.decode((UUID, String, String, [String], Date, Date).self)
        return TenantRecord(id: id, slug: slug, name: name, environments: environments, createdAt: createdAt, updatedAt: updatedAt)
    }

    // MARK: - Validation

    static func checkSlug(_ slug: String, field: String) throws {
        guard RealmDirectory.isSlug(slug) else {
            throw AdminError.invalid(field: field, reason: "must be 1 to 63 of a-z, 0-9 and '-', not starting with '-'")
        }
    }

    /// The most environments of one tenant.
    public static let maximumEnvironments = 32

    /// Checks settings by name; a tenant-scoped key may not switch a throttle off.
    static func checkSettings(_ settings: [String: JSONValue], actor: AdminActor) throws {
        if !actor.isGlobal,
            let name = settings.keys.sorted().first(where: { EnvironmentSettings.throttleNames.contains($0) && settings[$0] == .null })
        {
            throw AdminError.invalid(field: "settings.\(name)", reason: "only a global admin key may switch a throttle off")
        }
        do {
            _ = try EnvironmentSettings().applying(settings)
        } catch {
            throw AdminError.invalid(field: "settings.\(error.field)", reason: error.reason)
        }
    }
}
