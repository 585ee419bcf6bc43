public import Foundation
public import GatehousePostgres

/// Tenants and environments in PostgreSQL.
public struct TenantStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Creates a tenant and its environments, each with one active key, in one transaction.
    /// - Parameters:
    ///   - slug: `[a-z0-9][a-z0-9-]{0,62}`.
    ///   - name: a display name.
    ///   - environments: environment slugs; each gets the default settings.
    ///   - keys: seals the environments' first keys.
    /// - Returns: the tenant's id.
    /// - Throws: a ``PostgresError`` with ``SQLState/uniqueViolation`` for a taken slug,
    ///   ``SQLState/checkViolation`` for a malformed one.
    @discardableResult
    public func create(slug: String, name: String = "", environments: [String] = ["prod"], keys: SigningKeyStore) async throws -> UUID {
        try await self.database.withTransaction { connection in
            let tenantID = try await connection.query(
                "INSERT INTO tenants (slug, name) VALUES (\(slug), \(name)) RETURNING id"
            ).single(UUID.self)
            for environment in environments {
                try await self.createEnvironment(on: connection, tenantID: tenantID, slug: environment, settings: [:], keys: keys)
            }
            return tenantID
        }
    }

    /// Creates an environment with its first active key, inside the caller's transaction.
    @discardableResult
    public func createEnvironment(
        on connection: PostgresConnection,
        tenantID: UUID,
        slug: String,
        settings overrides: [String: JSONValue],
        keys: SigningKeyStore
    ) async throws -> UUID {
        // Refused before anything is written; the lifecycle reads them back as stored.
        _ = try EnvironmentSettings().applying(overrides)
        let environmentID = try await connection.query(
            """
            INSERT INTO environments (tenant_id, slug, settings)
            VALUES (\(tenantID), \(slug), \(PostgresJSONB(JSONValue.object(overrides).jsonText))) RETURNING id
            """
        ).single(UUID.self)
        var lifecycle = try await keys.lifecycle(tenantID: tenantID, environmentID: environmentID, on: connection)
        try await keys.run(try lifecycle.handle(.rotate(.immediate)), tenantID: tenantID, environmentID: environmentID, on: connection)
        return environmentID
    }

    /// The tenant's id for a slug, if it exists.
    public func id(of slug: String) async throws -> UUID? {
        try await self.database.query("SELECT id FROM tenants WHERE slug = \(slug)").first?.decode(UUID.self)
    }
}
