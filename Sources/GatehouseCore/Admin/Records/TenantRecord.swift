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
}
