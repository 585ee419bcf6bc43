public import Foundation

/// A user of a tenant, as stored.
public struct User: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var username: String
    /// The stored hash; `nil` when the user was read to admit a token (verify, me,
    /// refresh), which never needs it: cached users and refresh's statement carry no hashes.
    public var passwordHash: String?
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
        passwordHash: String?,
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

extension User {
    /// The longest username, in Unicode scalars as PostgreSQL's `length()` counts them
    /// (Django's `max_length` for usernames).
    public static let maximumUsernameLength = 150

    /// Whether `username` fits the schema: 1 to ``maximumUsernameLength`` scalars, no NUL.
    /// Anything else is refused before a lookup, a hash or a log line is spent on it.
    public static func isStorableUsername(_ username: String) -> Bool {
        (1...Self.maximumUsernameLength).contains(username.unicodeScalars.count) && !username.containsNUL
    }
}
