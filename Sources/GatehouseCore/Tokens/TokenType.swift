/// Access or refresh; each has its own JWS `typ` (RFC 9068 for access tokens).
public enum TokenType: String, Sendable, Hashable, Codable {
    case access
    case refresh

    /// The `typ` header of this type of token.
    public var headerType: String {
        switch self {
        case .access: "at+jwt"
        case .refresh: "JWT"
        }
    }
}
