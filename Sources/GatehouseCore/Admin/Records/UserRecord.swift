public import Foundation

/// A user as the admin API shows it; never the password hash.
public struct UserRecord: Encodable, Sendable {
    public var id: UUID
    public var username: String
    public var role: String
    public var claims: [String: JSONValue]
    public var isActive: Bool
    public var lastLogin: Date?
    /// Tokens issued before this instant are refused in every environment.
    public var revokedBefore: Date?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, username, role, claims
        case isActive = "is_active"
        case lastLogin = "last_login"
        case revokedBefore = "revoked_before"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeID(self.id, forKey: .id)
        try container.encode(self.username, forKey: .username)
        try container.encode(self.role, forKey: .role)
        try container.encode(self.claims, forKey: .claims)
        try container.encode(self.isActive, forKey: .isActive)
        try container.encode(self.lastLogin, forKey: .lastLogin)
        try container.encode(self.revokedBefore, forKey: .revokedBefore)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.updatedAt, forKey: .updatedAt)
    }
}
