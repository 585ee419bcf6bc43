import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// Unknown realms and unknown kids cost the database a bounded amount, and never keep a
/// genuine new key from verifying.
@Suite(.timeLimit(.minutes(5))) struct RealmDirectoryTests {
    @Test func anUnknownRealmIsRememberedUntilItsTimeOrANotification() async throws {
        try await TestDeployment.with { deployment in
            // Directories with no change feed: only their own memory answers meanwhile.
            let remembering = RealmDirectory(
                database: deployment.database,
                keys: deployment.keys,
                publicURL: deployment.publicURL,
                missTTL: .seconds(600)
            )
            let brief = RealmDirectory(
                database: deployment.database,
                keys: deployment.keys,
                publicURL: deployment.publicURL,
                missTTL: .milliseconds(100)
            )
            #expect(try await remembering.realm(tenant: "late", environment: "prod") == nil)
            #expect(try await brief.realm(tenant: "late", environment: "prod") == nil)
            _ = try await deployment.admin.createTenant(slug: "late", name: nil, environments: ["prod"], actor: .cli)
            #expect(try await remembering.realm(tenant: "late", environment: "prod") == nil)
            try await eventually(within: .seconds(10)) { try await brief.realm(tenant: "late", environment: "prod") != nil }
            // What a notification of a tenant change does.
            remembering.invalidateAll()
            #expect(try await remembering.realm(tenant: "late", environment: "prod") != nil)
            // Names that are not slugs never reach the database at all.
            #expect(try await remembering.realm(tenant: "no\u{0}pe", environment: String(repeating: "x", count: 5000)) == nil)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func madeUpKidsDoNotCrowdOutAGenuineNewKey() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let user = try #require(try await deployment.users.find(tenantID: realm.tenantID, username: "alice"))
            // Made-up kids, many at once, just before the genuine one.
            let forged = (0..<40).map { index in
                Self.unsignedToken(kid: "made-up-\(index)", realm: realm)
            }
            await withTaskGroup(of: Void.self) { group in
                for token in forged {
                    group.addTask { _ = try? await deployment.tokens.verify(in: realm, token: token) }
                }
            }
            // A key made by "another instance": straight in the database, then used at once.
            try await deployment.changeRingInTheDatabase(realm, .rotate(.immediate))
            let other = RealmDirectory(database: deployment.database, keys: deployment.keys, publicURL: deployment.publicURL)
            let fresh = try #require(try await other.realm(tenant: "demo", environment: "prod"))
            #expect(fresh.ring.active.kid != realm.ring.active.kid)
            let pair = try await TokenService(
                database: deployment.database,
                realms: other,
                userCache: UserCache(),
                hasher: try TestDeployment.hasher()
            ).issuePair(in: fresh, for: user)
            // The old snapshot does not know the kid; verification reads the realm again.
            _ = try await deployment.tokens.authenticate(in: realm, accessToken: pair.access)
        }
    }

    /// A token whose header names `kid`, with a signature that is not one.
    static func unsignedToken(kid: String, realm: Realm) -> String {
        func base64URL(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        return base64URL(#"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)"}"#) + "." + base64URL(#"{"iss":"\#(realm.issuer)"}"#) + ".c2ln"
    }
}
