import Foundation
import GatehouseCore
import GatehouseTestSupport
import Testing

/// What admits a token reads the user without the password hash: cached users and the
/// refresh statement's owners hold none, and a user read that way can never log in.
@Suite(.timeLimit(.minutes(5))) struct UserAdmissionTests {
    @Test func usersReadToAdmitATokenCarryNoPasswordHash() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let alice = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            #expect(alice.passwordHash?.hasPrefix("$argon2id$") == true)
            let pair = try await deployment.tokens.issuePair(in: realm, for: alice)

            // verify fills the cache, without the hash.
            try await deployment.tokens.verify(in: realm, token: pair.access)
            let cached = try #require(deployment.tokens.userCache.lookup(tenant: realm.tenantID, user: alice.id, environment: realm.environmentID))
            #expect(cached.user.username == "alice" && cached.user.passwordHash == nil)

            // refresh's statement reads the owner without it, and the new access token still
            // carries who the owner is.
            let rotated = try await deployment.tokens.refresh(in: realm, token: try #require(pair.refresh))
            #expect(TokenInspection.claims(rotated.access)["username"] == "alice")

            // A user read without the hash never passes a login's check of it.
            await #expect(throws: TokenService.Failure.noActiveAccount) {
                try await deployment.tokens.issuePair(in: realm, for: cached.user)
            }
        }
    }
}
