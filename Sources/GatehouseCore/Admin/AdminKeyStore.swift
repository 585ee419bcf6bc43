import Crypto
public import Foundation
public import GatehousePostgres

/// Admin API keys: 256-bit random secrets shown once, stored as SHA-256 (the secret is
/// random, so a fast hash is as strong as a slow one), global or scoped to one tenant.
public struct AdminKeyStore: Sendable {
    let database: PostgresClient

    public init(database: PostgresClient) {
        self.database = database
    }

    /// Creates a key and returns it: `gh_<id>_<secret>`, the only time the secret exists in clear.
    /// - Parameters:
    ///   - name: what the key is for.
    ///   - tenantID: the tenant it is limited to; `nil` for a global key.
    public func create(name: String, tenantID: UUID?) async throws -> String {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let hash = Data(SHA256.hash(data: secret))
        let id = try await self.database.query(
            "INSERT INTO admin_keys (name, tenant_id, secret_hash) VALUES (\(name), \(tenantID), \(hash)) RETURNING id"
        ).single(UUID.self)
        return "gh_" + id.uuidString.lowercased().replacingOccurrences(of: "-", with: "") + "_" + Base64URL.encode(secret)
    }
}
