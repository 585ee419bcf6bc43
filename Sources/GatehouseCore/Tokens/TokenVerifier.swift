import Foundation

/// Checks tokens against a realm's key ring, reading the realm again for a `kid` it does
/// not know yet.
struct TokenVerifier: Sendable {
    let realms: RealmDirectory
    let clock: DatabaseClock

    /// Verifies a token's signature and claims. An unknown `kid` waits for a copy of the
    /// realm read after the token arrived, in case another instance made the key a moment
    /// ago: such reads are shared by every request waiting for one and come at most ten a
    /// second per realm, so made-up kids cost no more than that and cannot crowd out the
    /// read a genuine new key needs.
    func verified(_ token: String, in realm: Realm, expecting type: TokenType?) async throws -> TokenClaims {
        let arrived = ContinuousClock.now
        do {
            return try realm.verify(token, expecting: type, now: self.clock.now())
        } catch .unknownKey {
            guard let reloaded = try await self.realms.realm(of: realm, loadedAfter: arrived) else {
                throw TokenService.Failure.token(.invalid)
            }
            do {
                return try reloaded.verify(token, expecting: type, now: self.clock.now())
            } catch {
                throw TokenService.Failure.token(error)
            }
        } catch {
            throw TokenService.Failure.token(error)
        }
    }
}
