public import Foundation

/// An admin API key as listed; the secret is shown only once, at creation.
public struct AdminKeyRecord: Encodable, Sendable {
    public var id: UUID
    public var name: String
    /// The slug of the tenant the key is limited to; `nil` for a global key.
    public var tenant: String?
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, tenant
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeID(self.id, forKey: .id)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.tenant, forKey: .tenant)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.lastUsedAt, forKey: .lastUsedAt)
        try container.encode(self.revokedAt, forKey: .revokedAt)
    }
}
