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
                        keys: try self.keyStore()
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
                    keys: try self.keyStore()
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
                    SET longer_lifetimes_until = greatest(longer_lifetimes_until, now() + make_interval(secs => \(longestBefore)))
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

    /// The environment's id, or ``AdminError/notFound(_:)``.
    func environmentID(tenantID: UUID, slug: String, on connection: PostgresConnection) async throws -> UUID {
        guard
            let id = try await connection.query(
                "SELECT id FROM environments WHERE tenant_id = \(tenantID) AND slug = \(slug)"
            ).first?.decode(UUID.self)
        else { throw AdminError.notFound("environment \(slug)") }
        return id
    }

    private func environment(tenant: String, tenantID: UUID, slug: String, on connection: PostgresConnection) async throws -> EnvironmentRecord {
        guard
            let row = try await connection.query(
                "SELECT slug, settings, created_at, updated_at FROM environments WHERE tenant_id = \(tenantID) AND slug = \(slug)"
            ).first
        else { throw AdminError.notFound("environment \(slug)") }
        return try self.environmentRecord(tenant: tenant, row: row)
    }

    private func environmentRecord(tenant: String, row: PostgresRow) throws -> EnvironmentRecord {
        let (slug, settings, createdAt, updatedAt) = try row.decode((String, PostgresJSONB, Date, Date).self)
        let effective = EnvironmentSettings(stored: settings.object)
        return EnvironmentRecord(
            slug: slug,
            issuer: "\(self.publicURL)/t/\(tenant)/\(slug)",
            settings: effective.json,
            createdAt: createdAt,
            updatedAt: updatedAt
        )
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
