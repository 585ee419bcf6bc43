/// Access, refresh or sliding; each has its own JWS `typ` (RFC 9068 for access tokens).
public enum TokenType: String, Sendable, Hashable, Codable {
    case access
    case refresh
    /// SimpleJWT's sliding token: an access token that is refreshed by presenting itself,
    /// until its `refresh_exp` (contract section 7).
    case sliding

    /// The `typ` header of this type of token.
    public var headerType: String {
        switch self {
        case .access: "at+jwt"
        case .refresh, .sliding: "JWT"
        }
    }
}
