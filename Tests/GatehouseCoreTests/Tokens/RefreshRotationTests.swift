import Foundation
import GatehouseCore
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// A refresh token's row records the SHA-256 digest of the token as signed, and a rotation
/// spends the row only for that very token: one matched by digest needs no signature check,
/// and no other token, however it was signed, spends the row or revokes its family.
@Suite(.timeLimit(.minutes(5))) struct RefreshRotationTests {
    @Test func aRowRecordsTheDigestOfTheTokenAsSigned() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let login = try #require(try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret").refresh)
            let rotated = try #require(try await deployment.tokens.refresh(in: realm, token: login).refresh)
            for token in [login, rotated] {
                let jti = try Self.jti(of: token)
                let matches = try await deployment.database.query(
                    "SELECT token_digest = sha256(convert_to(\(token), 'UTF8')) FROM refresh_tokens WHERE jti = \(jti)"
                ).single(Bool?.self)
                #expect(matches == true)
            }
        }
    }

    /// The payload changed under the original header and signature: refused as invalid
    /// whether or not the row records a digest, and the genuine token still refreshes.
    @Test(arguments: [true, false])
    func aTokenWithAnEditedPayloadIsRefusedAndSpendsNothing(rowHasDigest: Bool) async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let token = try #require(try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret").refresh)
            if !rowHasDigest {
                // As a row written before digests were.
                try await deployment.database.query("UPDATE refresh_tokens SET token_digest = NULL WHERE jti = \(try Self.jti(of: token))")
            }
            var claims = TokenInspection.claims(token)
            claims["exp"] = .number((claims["exp"]?.numberValue ?? 0) + 3600)
            let parts = token.split(separator: ".")
            let edited = "\(parts[0]).\(Base64URL.encode(JSONValue.object(claims).jsonText.utf8)).\(parts[2])"
            await #expect(throws: TokenService.Failure.token(.invalid)) {
                try await deployment.tokens.refresh(in: realm, token: edited)
            }
            _ = try await deployment.tokens.refresh(in: realm, token: token)
        }
    }

    /// A token signed with the realm's own key, with the same claims but other bytes (the
    /// payload's members in another order): its signature is good, but it is not the token
    /// the row was recorded for, so it spends nothing and revokes nothing; the genuine one
    /// still refreshes, once.
    @Test func aValidlySignedTokenThatIsNotTheOneIssuedSpendsNothing() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let token = try #require(try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret").refresh)
            let members = TokenInspection.claims(token).sorted { $0.key > $1.key }
            let reordered = "{" + members.map { "\(JSONValue.string($0.key).jsonText):\($0.value.jsonText)" }.joined(separator: ",") + "}"
            let twin = try realm.codec.sign(.refresh, claims: reordered, with: realm.ring.active)
            #expect(twin != token)
            #expect(TokenInspection.claims(twin) == TokenInspection.claims(token))
            await #expect(throws: TokenService.Failure.token(.revoked)) {
                try await deployment.tokens.refresh(in: realm, token: twin)
            }
            let next = try #require(try await deployment.tokens.refresh(in: realm, token: token).refresh)
            _ = try await deployment.tokens.refresh(in: realm, token: next)
        }
    }

    /// A row written before digests were is spent by its token once its signature is
    /// checked, and the token it rotates into is matched by digest.
    @Test func aRowWithoutADigestIsSpentAfterTheSignatureIsChecked() async throws {
        try await TestDeployment.with { deployment in
            let realm = try await deployment.realm()
            let token = try #require(try await deployment.tokens.obtainPair(in: realm, username: "alice", password: "secret").refresh)
            try await deployment.database.query("UPDATE refresh_tokens SET token_digest = NULL")
            let next = try #require(try await deployment.tokens.refresh(in: realm, token: token).refresh)
            let recorded = try await deployment.database.query(
                "SELECT token_digest IS NOT NULL FROM refresh_tokens WHERE jti = \(try Self.jti(of: next))"
            ).single(Bool.self)
            #expect(recorded)
            // The spent token is a replay, which revokes the family.
            await #expect(throws: TokenService.Failure.token(.revoked)) {
                try await deployment.tokens.refresh(in: realm, token: token)
            }
            await #expect(throws: TokenService.Failure.token(.revoked)) {
                try await deployment.tokens.refresh(in: realm, token: next)
            }
        }
    }

    static func jti(of token: String) throws -> UUID {
        try #require(UUID(uuidString: TokenInspection.claims(token)["jti"]?.stringValue ?? ""))
    }
}
