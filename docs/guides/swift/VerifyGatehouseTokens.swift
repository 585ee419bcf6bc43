// Verify Gatehouse access tokens in a Swift resource server with jwt-kit (vapor/jwt-kit 5).
//
// What a resource server must check before it trusts `Authorization: Bearer <token>`:
// - the signature, with the realm's public key named by the header's `kid`, from
//   `{issuer}/.well-known/jwks.json`; jwt-kit verifies with the JWK's own algorithm, so a
//   header asking for `none` or `HS256` keyed with the public key gets nowhere;
// - header `typ` is `at+jwt` (RFC 9068): refresh tokens (`typ: JWT`) are not access tokens;
// - `iss` is the realm's issuer, `aud` the environment's `audience` setting;
// - `exp` (and `nbf`, `iat`) with a small leeway for clock skew;
// - claim `token_type` is "access".
//
// Keys: the JWKS is kept for as long as its `Cache-Control: max-age=N` says (Gatehouse sends
// N well under `key_publish_ahead`, so a staged key is in every honest cache before it
// signs). A `kid` missing from the cached set refetches at most once per `refetchCooldown`.
//
// As a program (what docs/guides/run_guides.py drives): one token per line on stdin,
// `ok <sub>` or `invalid <reason>` per line on stdout:
//   gatehouse-verify-example --jwks-url URL --issuer ISS --audience AUD
// In an app: one `AccessTokenVerifier` for the process, `try await verifier.verify(token)` per request.

import Foundation
import JWTKit

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The claims of a Gatehouse access token that a resource server relies on.
struct AccessClaims: JWTPayload {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var nbf: NotBeforeClaim?
    var aud: AudienceClaim?
    var tokenType: String

    enum CodingKeys: String, CodingKey {
        case iss, sub, exp, iat, nbf, aud
        case tokenType = "token_type"
    }

    /// Signature checks come first (jwt-kit); the time and claim checks are the verifier's.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Why a token was refused.
struct InvalidToken: Error {
    var reason: String
}

/// Verifies access tokens of one Gatehouse realm, keeping its JWKS as long as the answer allows.
actor AccessTokenVerifier {
    let jwksURL: URL
    let issuer: String
    let audience: String?
    let leeway: TimeInterval = 10
    let refetchCooldown: TimeInterval = 10

    private var keys = JWTKeyCollection()
    private var kids: Set<String> = []
    private var expires = Date.distantPast
    private var lastFetch = Date.distantPast

    init(jwksURL: URL, issuer: String, audience: String?) {
        self.jwksURL = jwksURL
        self.issuer = issuer
        self.audience = audience
    }

    /// The token's subject, or `InvalidToken` with the reason.
    func verify(_ token: String) async throws -> String {
        let header = try Self.header(token)
        guard header["typ"] as? String == "at+jwt" else { throw InvalidToken(reason: "typ is not at+jwt") }
        guard let kid = header["kid"] as? String else { throw InvalidToken(reason: "no kid") }
        if Date() >= self.expires || (!self.kids.contains(kid) && Date().timeIntervalSince(self.lastFetch) >= self.refetchCooldown) {
            try await self.refetch()
        }
        guard self.kids.contains(kid) else { throw InvalidToken(reason: "unknown kid") }
        let claims: AccessClaims
        do {
            claims = try await self.keys.verify(token, as: AccessClaims.self)
        } catch {
            throw InvalidToken(reason: "signature or claims: \(error)")
        }
        let now = Date()
        guard claims.exp.value.addingTimeInterval(self.leeway) > now else { throw InvalidToken(reason: "expired") }
        guard claims.iat.value.addingTimeInterval(-self.leeway) <= now else { throw InvalidToken(reason: "issued in the future") }
        if let nbf = claims.nbf, nbf.value.addingTimeInterval(-self.leeway) > now { throw InvalidToken(reason: "not yet valid") }
        guard claims.iss.value == self.issuer else { throw InvalidToken(reason: "wrong issuer") }
        switch (self.audience, claims.aud) {
        case (nil, nil): break
        case (let expected?, let aud?) where aud.value.contains(expected): break
        default: throw InvalidToken(reason: "wrong audience")
        }
        guard claims.tokenType == "access" else { throw InvalidToken(reason: "not an access token") }
        return claims.sub.value
    }

    /// Fetches the JWKS; keeps the keys it had if the fetch fails.
    private func refetch() async throws {
        self.lastFetch = Date()
        guard let (data, response) = try? await URLSession.shared.data(from: self.jwksURL),
            let http = response as? HTTPURLResponse, http.statusCode == 200,
            let jwks = try? JSONDecoder().decode(JWKS.self, from: data)
        else {
            self.expires = Date().addingTimeInterval(self.refetchCooldown)
            return
        }
        let keys = JWTKeyCollection()
        var kids: Set<String> = []
        for jwk in jwks.keys {
            // A key of a kind this jwt-kit cannot use is skipped, not fatal to the others.
            guard (try? await keys.add(jwk: jwk)) != nil, let kid = jwk.keyIdentifier?.string else { continue }
            kids.insert(kid)
        }
        self.keys = keys
        self.kids = kids
        self.expires = Date().addingTimeInterval(Self.maxAge(http.value(forHTTPHeaderField: "Cache-Control")) ?? 300)
    }

    /// `max-age` of a `Cache-Control` value.
    static func maxAge(_ cacheControl: String?) -> TimeInterval? {
        guard let cacheControl else { return nil }
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "max-age", let seconds = TimeInterval(parts[1]) { return seconds }
        }
        return nil
    }

    /// The JOSE header, read before any key is chosen.
    static func header(_ token: String) throws -> [String: Any] {
        guard let first = token.split(separator: ".", omittingEmptySubsequences: false).first, token.split(separator: ".").count == 3 else {
            throw InvalidToken(reason: "not a JWS")
        }
        var base64 = first.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InvalidToken(reason: "unreadable header")
        }
        return header
    }
}

@main
enum VerifyGatehouseTokens {
    static func main() async {
        var options: [String: String] = [:]
        var arguments = CommandLine.arguments.dropFirst()
        while let name = arguments.popFirst(), let value = arguments.popFirst() { options[name] = value }
        guard let jwks = options["--jwks-url"].flatMap(URL.init(string:)), let issuer = options["--issuer"] else {
            FileHandle.standardError.write(Data("usage: gatehouse-verify-example --jwks-url URL --issuer ISS [--audience AUD]\n".utf8))
            exit(2)
        }
        let verifier = AccessTokenVerifier(jwksURL: jwks, issuer: issuer, audience: options["--audience"])
        while let line = readLine() {
            let token = line.trimmingCharacters(in: .whitespaces)
            let answer: String
            do {
                answer = "ok " + (try await verifier.verify(token))
            } catch let invalid as InvalidToken {
                answer = "invalid " + invalid.reason
            } catch {
                answer = "invalid \(error)"
            }
            // One line per token, written at once: the caller waits for it.
            FileHandle.standardOutput.write(Data((answer.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
        }
    }
}
