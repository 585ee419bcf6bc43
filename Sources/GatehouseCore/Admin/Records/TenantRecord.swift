public import Foundation

/// A tenant as the admin API shows it.
public struct TenantRecord: Encodable, Sendable {
    public var id: UUID
    public var slug: String
    public var name: String
    /// The slugs of its environments.
    public var environments: [String]
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, slug, name, environments
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeID(self.id, forKey: .id)
        try container.encode(self.slug, forKey: .slug)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.environments, forKey: .environments)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.updatedAt, forKey: .updatedAt)
    }
}
