import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Key rotation as clients see it: through JWKS, login and verify.
@Suite(.timeLimit(.minutes(5))) struct AdminKeyRoutesTests {
    /// The kids in the realm's JWKS; an answer that is not a 200 with a key list throws,
    /// so "does not contain" can never pass on an error.
    static func jwksKids(_ realm: RealmTestClient) async throws -> Set<String> {
        let jwks = try await realm.send(.get, "/.well-known/jwks.json")
        guard jwks.status == .ok, case .array(let keys) = jwks.json["keys"] else { throw UnexpectedAnswer(jwks) }
        return Set(keys.compactMap { $0.objectValue?["kid"]?.stringValue })
    }

    static func kid(_ token: String) -> String? {
        TokenInspection.header(token)["kid"]?.stringValue
    }

    @Test func immediateRotationSignsWithTheNewKeyAndStillVerifiesTheOld() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let realm = admin.realm()
                let (old, _) = try await realm.login()
                let oldKid = try #require(Self.kid(old))
                let rotated = try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "immediate"])
                #expect(rotated.status == .ok)
                let active = try #require(rotated.json["active"]?.objectValue)
                let newKid = try #require(active["kid"]?.stringValue)
                #expect(newKid != oldKid && active["state"] == "active" && rotated.json["next"] == .null)
                #expect(active["public_jwk"]?.objectValue?["kid"] == .string(newKid))
                #expect(active["private_key"] == nil && active["d"] == nil && active["public_jwk"]?.objectValue?["d"] == nil)

                #expect(try await Self.jwksKids(realm) == [oldKid, newKid])
                let (fresh, _) = try await realm.login()
                #expect(Self.kid(fresh) == newKid)
                #expect(try await realm.post("/api/token/verify/", json: ["token": .string(old)]).status == .ok)
                let states = try await admin.call(.get, "/tenants/demo/environments/prod/keys").items
                #expect(Set(states.map { "\($0["kid"]!.stringValue!)=\($0["state"]!.stringValue!)" }) == ["\(oldKid)=retiring", "\(newKid)=active"])

                // Retiring the old key ends its tokens and takes it out of the JWKS.
                let retired = try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(oldKid)/retire")
                #expect(retired["state"] == "retired" && retired.json["retired_at"] != .null)
                #expect(try await realm.post("/api/token/verify/", json: ["token": .string(old)]).code == "token_not_valid")
                #expect(try await Self.jwksKids(realm) == [newKid])
                // Safe to retry; the active key cannot be retired; unknown kids are 404.
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(oldKid)/retire").status == .ok)
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(newKid)/retire").code == "conflict")
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/nokid/retire").status == .notFound)
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "sideways"]).status == .badRequest)
                #expect(
                    try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["alg": "none", "mode": "immediate"]).status
                        == .badRequest
                )
                // `mode` is required: a script's empty body is a 400 naming it, and nothing rotates.
                for body: [String: JSONValue]? in [nil, [:], ["alg": "ES256"]] {
                    let refused = try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: body)
                    #expect(refused.status == .badRequest)
                    #expect(refused.json["fields"]?.objectValue?["mode"] != nil, "\(refused.json)")
                }
                #expect(try await Self.jwksKids(realm) == [newKid])
            }
        }
    }

    @Test func stagedRotationPublishesTheNextKeyBeforeItSigns() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let realm = admin.realm()
                let (old, _) = try await realm.login()
                let oldKid = try #require(Self.kid(old))
                let staged = try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "staged", "alg": "EdDSA"])
                let next = try #require(staged.json["next"]?.objectValue)
                let nextKid = try #require(next["kid"]?.stringValue)
                #expect(next["state"] == "next" && next["alg"] == "EdDSA" && staged.json["active"]?.objectValue?["kid"] == .string(oldKid))
                // Published, not yet signing.
                #expect(try await Self.jwksKids(realm) == [oldKid, nextKid])
                #expect(Self.kid(try await realm.login().access) == oldKid)
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "staged"]).code == "conflict")

                let activated = try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(nextKid)/activate")
                #expect(activated["state"] == "active")
                let (fresh, _) = try await realm.login()
                #expect(Self.kid(fresh) == nextKid && TokenInspection.header(fresh)["alg"] == "EdDSA")
                #expect(try await realm.post("/api/token/verify/", json: ["token": .string(old)]).status == .ok)
                #expect(try await realm.post("/api/token/verify/", json: ["token": .string(fresh)]).status == .ok)
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(nextKid)/activate").status == .ok)
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(oldKid)/activate").code == "conflict")
                let past = try await admin.call(
                    .post,
                    "/tenants/demo/environments/prod/keys/rotate",
                    json: ["mode": "staged", "activate_at": "2001-01-01T00:00:00Z"]
                )
                #expect(past.json["fields"]?.objectValue?["activate_at"] != nil)
            }
        }
    }

    @Test func revokingAKeyKillsItsTokensAndRevokingTheActiveOneReplacesIt() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.testAdmin { admin in
                let realm = admin.realm()
                let (access, refresh) = try await realm.login()
                let kid = try #require(Self.kid(access))
                let revoked = try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(kid)/revoke")
                #expect(revoked["state"] == "revoked" && revoked.json["revoked_at"] != .null)
                #expect(try await realm.send(.get, "/api/me/", bearer: access).code == "token_not_valid")
                #expect(try await realm.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).code == "token_not_valid")
                #expect(try await Self.jwksKids(realm).contains(kid) == false)
                let keys = try await admin.call(.get, "/tenants/demo/environments/prod/keys").items
                let active = try #require(keys.first { $0["state"] == "active" }?["kid"]?.stringValue)
                #expect(active != kid)
                let (fresh, _) = try await realm.login()
                #expect(Self.kid(fresh) == active)
                #expect(try await realm.send(.get, "/api/me/", bearer: fresh).status == .ok)
                #expect(try await admin.call(.post, "/tenants/demo/environments/prod/keys/\(kid)/revoke")["state"] == "revoked")
                let outstanding = try await deployment.database.query(
                    "SELECT count(*) FROM refresh_tokens WHERE kid = \(kid) AND revoked_at IS NULL"
                ).single(Int.self)
                #expect(outstanding == 0)
                // Other environments are untouched.
                #expect(try await admin.realm("demo", "staging").login().access.isEmpty == false)
            }
        }
    }

    @Test func aRetiringKeyLeavesTheRingOnceTheLongestTokenLifetimeHasPassed() async throws {
        // Ten minutes of retention, so a busy machine cannot let the key go before the first look.
        try await TestDeployment.with(settings: ["access_token_lifetime": 60, "refresh_token_lifetime": 600, "leeway": 0]) { deployment in
            try await deployment.testAdmin { admin in
                let realm = admin.realm()
                let oldKid = try #require(Self.kid(try await realm.login().access))
                _ = try await admin.call(.post, "/tenants/demo/environments/prod/keys/rotate", json: ["mode": "immediate"])
                #expect(try await Self.jwksKids(realm).contains(oldKid))
                try await deployment.database.query("UPDATE signing_keys SET retiring_at = now() - interval '601 seconds' WHERE kid = \(oldKid)")
                try await eventually { try await Self.jwksKids(realm).contains(oldKid) == false }
            }
        }
    }
}
