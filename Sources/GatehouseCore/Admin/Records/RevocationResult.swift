/// The counts of a bulk revocation.
public struct RevocationResult: Encodable, Sendable, Equatable {
    /// Users whose tokens were revoked.
    public var users: Int
    /// Outstanding refresh tokens that were blacklisted.
    public var refreshTokensRevoked: Int
    /// Requested usernames that are not in the tenant (not an error).
    public var unknownUsernames: [String]
    /// Requested user ids that are not in the tenant (not an error).
    public var unknownUserIDs: [String]

    enum CodingKeys: String, CodingKey {
        case users
        case refreshTokensRevoked = "refresh_tokens_revoked"
        case unknownUsernames = "unknown_usernames"
        case unknownUserIDs = "unknown_user_ids"
    }
}
