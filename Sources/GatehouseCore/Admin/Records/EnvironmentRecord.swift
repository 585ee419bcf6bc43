public import Foundation

/// An environment as the admin API shows it: its issuer and every setting's effective value.
public struct EnvironmentRecord: Encodable, Sendable {
    public var slug: String
    public var issuer: String
    public var settings: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case slug, issuer, settings
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
