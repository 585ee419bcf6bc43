public import Foundation

/// A tenant's environment, loaded: its settings, its keys and how its tokens look.
public struct Realm: Sendable {
    public let tenantID: UUID
    public let tenantSlug: String
    public let environmentID: UUID
    public let environmentSlug: String
    public let settings: EnvironmentSettings
    public let ring: KeyRing
    public let codec: TokenCodec
    /// Every token of the environment issued before this instant is revoked.
    public let revokedBefore: Date?

    /// `{public url}/t/{tenant}/{env}`.
    public var issuer: String { self.codec.issuer }
}
