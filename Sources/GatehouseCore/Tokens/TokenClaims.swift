public import Foundation

/// The claims of a verified token that the service relies on.
public struct TokenClaims: Sendable, Hashable {
    public var type: TokenType
    public var userID: UUID
    public var jti: UUID
    /// `iat`, with fractions of a second, so that a revocation instant can tell apart a token
    /// issued just before it from one issued just after.
    public var issuedAt: Date
    public var expiresAt: Date
    public var kid: String
    /// Sliding tokens only: until when they may be refreshed.
    public var refreshExpiresAt: Date?

    public init(type: TokenType, userID: UUID, jti: UUID, issuedAt: Date, expiresAt: Date, kid: String, refreshExpiresAt: Date? = nil) {
        self.type = type
        self.userID = userID
        self.jti = jti
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.kid = kid
        self.refreshExpiresAt = refreshExpiresAt
    }
}

/// Why a token was refused; every case answers 401 `token_not_valid`.
public enum TokenError: Error, Sendable, Equatable {
    /// Not a well-formed JWS, a bad signature, a header that does not match its key, or claims missing or wrong.
    case invalid
    /// No key of this realm has the token's `kid`.
    case unknownKey(kid: String)
    /// Expired beyond the leeway.
    case expired
    /// An access token where a refresh token is needed, or the reverse.
    case wrongType
    /// Blacklisted, rotated, revoked, or its user was revoked or deactivated.
    case revoked

    /// The sentence SimpleJWT clients know.
    public var detail: String {
        switch self {
        case .invalid, .unknownKey, .expired: "Token is invalid or expired"
        case .wrongType: "Token has wrong type"
        case .revoked: "Token is blacklisted"
        }
    }
}
