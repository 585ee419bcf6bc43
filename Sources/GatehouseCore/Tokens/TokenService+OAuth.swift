import Foundation
import GatehousePostgres

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
        let user: User?
        let claims: TokenClaims
        do {
            claims = try await self.verifier.verified(token, in: realm, expecting: nil)
            switch claims.type {
            case .access:
                user = try await self.admission.cachedActiveUser(realm: realm, claims: claims)
            case .sliding:
                user = try await self.admittedSliding(in: realm, claims: claims)
            case .refresh:
                let known = try await self.database.withConnection { try await self.refreshTokens.find(on: $0, realm: realm, jti: claims.jti) }
                user = known?.reason == nil ? try await self.admission.cachedActiveUser(realm: realm, claims: claims) : nil
            }
        } catch Failure.token {
            return nil
        }
        guard let user else { return nil }
        return Introspection(claims: claims, issuer: realm.issuer, username: user.username)
    }

    /// RFC 7009 revocation by a public client presenting its own token: a refresh token is
    /// blacklisted (as SimpleJWT's blacklist does), a sliding token with every copy of it.
    /// A token that is invalid, expired, another realm's or already revoked is `.done` too.
    public func revoke(in realm: Realm, token: String) async throws -> Revocation {
        let claims: TokenClaims
        do {
            claims = try await self.verifier.verified(token, in: realm, expecting: nil)
        } catch Failure.token {
            return .done
        }
        switch claims.type {
        case .access:
            return .unsupportedTokenType
        case .sliding:
            _ = try await self.blacklistSliding(in: realm, claims: claims)
        case .refresh:
            _ = try await self.database.withConnection {
                try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .blacklisted)
            }
        }
        return .done
    }
}
