import Foundation

extension TokenService {
    /// What introspection (RFC 7662) tells a resource server about an active token.
    public struct Introspection: Sendable, Equatable {
        /// The token's verified claims.
        public var claims: TokenClaims
        /// The issuer the token was checked against: the realm's.
        public var issuer: String
        /// The user's current username.
        public var username: String
    }

    /// What RFC 7009 revocation did with a token.
    public enum Revocation: Sendable, Equatable {
        /// Revoked now or before, or not a token of this realm: answered alike (RFC 7009 §2.2).
        case done
        /// An access token, which lives out its short lifetime (RFC 7009 §2.2.1 `unsupported_token_type`).
        case unsupportedTokenType
    }

    /// RFC 7662 introspection: the claims of a token of any type when it is active (valid,
    /// unexpired, neither blacklisted nor revoked, its user active), `nil` for anything else,
    /// whichever way it fails. Only the database being away is thrown.
    public func introspect(in realm: Realm, token: String) async throws -> Introspection? {
        let claims: TokenClaims
        do {
            claims = try await self.verifier.verified(token, in: realm, expecting: nil)
        } catch Failure.token {
            return nil
        }
        guard let user = try await self.activeUser(in: realm, claims: claims) else { return nil }
        return Introspection(claims: claims, issuer: realm.issuer, username: user.username)
    }

    /// RFC 7009 revocation by a public client presenting its own token: SimpleJWT's blacklist
    /// (a refresh token, or every copy of a sliding token). A token that is invalid, expired,
    /// another realm's or already revoked is `.done` too.
    public func revoke(in realm: Realm, token: String) async throws -> Revocation {
        do {
            try await self.blacklist(in: realm, token: token)
        } catch Failure.token(.wrongType) {
            return .unsupportedTokenType
        } catch Failure.token {
            return .done
        }
        return .done
    }
}
