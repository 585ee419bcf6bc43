import Crypto
public import Foundation
public import GatehousePostgres

/// Admin API keys: 256-bit random secrets shown once, stored as SHA-256 (the secret is
/// random, so a fast hash is as strong as a slow one), global or scoped to one tenant.
public struct AdminAPIKeyStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Creates a key and returns it: `gh_<id>_<secret>`, the only time the secret exists in clear.
    /// - Parameters:
    ///   - name: what the key is for.
    ///   - tenantID: the tenant it is limited to; `nil` for a global key.
    /// - Throws: ``AdminError/invalid(field:reason:)`` for a name that is empty, over 200
    ///   characters or holds a NUL.
    public func create(name: String, tenantID: UUID?) async throws -> String {
        guard (1...200).contains(name.unicodeScalars.count), !name.containsNUL else {
            throw AdminError.invalid(field: "name", reason: "must be 1 to 200 characters")
        }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let hash = Data(SHA256.hash(data: secret))
        let id = try await self.database.withTransaction { connection in
            let id = try await connection.query(
                "INSERT INTO admin_keys (name, tenant_id, secret_hash) VALUES (\(name), \(tenantID), \(hash)) RETURNING id"
            ).single(UUID.self)
            try await AuditLog().record(
                on: connection,
                actor: .cli,
                tenantID: tenantID,
                action: "admin_key.create",
                target: id.uuidString.lowercased(),
                details: ["name": .string(name)]
            )
            return id
        }
        return "gh_" + id.uuidString.lowercased().replacingOccurrences(of: "-", with: "") + "_" + Base64URL.encode(secret)
    }

    /// Every key, newest first, without secrets.
    public func list() async throws -> [AdminKeyRecord] {
        try await self.database.query(
            """
            SELECT k.id, k.name, t.slug, k.created_at, k.last_used_at, k.revoked_at
            FROM admin_keys k LEFT JOIN tenants t ON t.id = k.tenant_id ORDER BY k.created_at DESC, k.id
            """
        ).map { row in
            let (id, name, tenant, createdAt, lastUsedAt, revokedAt) = try row.decode((UUID, String, String?, Date, Date?, Date?).self)
            return AdminKeyRecord(id: id, name: name, tenant: tenant, createdAt: createdAt, lastUsedAt: lastUsedAt, revokedAt: revokedAt)
        }
    }

    /// Revokes a key; it stops working at once. Revoking it again changes nothing.
    /// - Returns: `false` when there is no such key.
    public func revoke(id: UUID) async throws -> Bool {
        try await self.database.withTransaction { connection in
            let rows = try await connection.query(
                "UPDATE admin_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) RETURNING tenant_id"
            )
            guard let row = rows.first else { return false }
            try await AuditLog().record(
                on: connection,
                actor: .cli,
                tenantID: try row.decode(UUID?.self),
                action: "admin_key.revoke",
                target: id.uuidString.lowercased()
            )
            return true
        }
    }

    /// Who presents `key`, or `nil` when it is malformed, unknown, revoked or wrong. The
    /// stored hash is compared in constant time.
    public func authenticate(_ key: String) async throws -> AdminActor? {
        let parts = key.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, UUID(uuidString: key) == nil, let id = Self.id(of: key),
            let secret = Base64URL.decode(Array(parts[2].utf8)), secret.count == 32
        else { return nil }
        guard
            let row = try await self.database.query(
                "SELECT tenant_id, secret_hash FROM admin_keys WHERE id = \(id) AND revoked_at IS NULL"
            ).first
        else { return nil }
        let (tenantID, stored) = try row.decode((UUID?, Data).self)
        let presented = Data(SHA256.hash(data: secret))
        guard ConstantTime.equal(presented, stored) else { return nil }
        // Once a minute is enough to tell a used key from a forgotten one.
        try await self.database.query(
            "UPDATE admin_keys SET last_used_at = now() WHERE id = \(id) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"
        )
        return .adminKey(id: id, tenantID: tenantID)
    }

    /// The id in a key id (`uuid`) or in a whole key (`gh_<id>_<secret>`).
    public static func id(of text: String) -> UUID? {
        if let id = UUID(uuidString: text) { return id }
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "gh", parts[1].count == 32 else { return nil }
        return UUID(uuidString: Self.dashed(parts[1]))
    }

    private static func dashed(_ hex: Substring) -> String {
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}
