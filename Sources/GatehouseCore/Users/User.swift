public import Foundation

/// A user of a tenant, as stored.
public struct User: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var username: String
    public var passwordHash: String
    public var role: String
    public var claims: [String: JSONValue]
    public var isActive: Bool
    public var lastLogin: Date?
    /// Tokens issued before this instant are rejected in every environment.
    public var revokedBefore: Date?

    public init(
        id: UUID,
        tenantID: UUID,
        username: String,
        passwordHash: String,
        role: String,
        claims: [String: JSONValue],
        isActive: Bool,
        lastLogin: Date?,
        revokedBefore: Date?
    ) {
        self.id = id
        self.tenantID = tenantID
        self.username = username
        self.passwordHash = passwordHash
        self.role = role
        self.claims = claims
        self.isActive = isActive
        self.lastLogin = lastLogin
        self.revokedBefore = revokedBefore
    }
}
