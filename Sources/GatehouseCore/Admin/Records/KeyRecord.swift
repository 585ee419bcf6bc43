public import Foundation

/// A signing key as the admin API shows it: public JWK, state and timestamps, never the
/// private material.
public struct KeyRecord: Encodable, Sendable {
    public var kid: String
    public var alg: String
    public var state: KeyState
    public var createdAt: Date
    public var activateAt: Date?
    public var activatedAt: Date?
    public var retiringAt: Date?
    public var retiredAt: Date?
    public var revokedAt: Date?
    /// `nil` for HS256: a shared secret is never published.
    public var publicJWK: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case kid, alg, state
        case createdAt = "created_at"
        case activateAt = "activate_at"
        case activatedAt = "activated_at"
        case retiringAt = "retiring_at"
        case retiredAt = "retired_at"
        case revokedAt = "revoked_at"
        case publicJWK = "public_jwk"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.kid, forKey: .kid)
        try container.encode(self.alg, forKey: .alg)
        try container.encode(self.state, forKey: .state)
        try container.encode(self.createdAt, forKey: .createdAt)
        try container.encode(self.activateAt, forKey: .activateAt)
        try container.encode(self.activatedAt, forKey: .activatedAt)
        try container.encode(self.retiringAt, forKey: .retiringAt)
        try container.encode(self.retiredAt, forKey: .retiredAt)
        try container.encode(self.revokedAt, forKey: .revokedAt)
        try container.encode(self.publicJWK, forKey: .publicJWK)
    }
}

/// What a rotation leaves: the key that signs now and the staged one, if any.
public struct KeyRotation: Encodable, Sendable {
    public var active: KeyRecord
    public var next: KeyRecord?

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.active, forKey: .active)
        try container.encode(self.next, forKey: .next)
    }

    enum CodingKeys: String, CodingKey {
        case active, next
    }
}
