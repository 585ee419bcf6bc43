import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Cookie mode (contract section 7, setting `refresh_cookie`): the refresh token travels in
/// the HttpOnly `gh_refresh` cookie, out of reach of the page's scripts, and every use of it
/// must repeat the readable `gh_csrf` cookie in the `X-CSRF-Token` header (double submit),
/// which a page on another origin cannot read. With the setting off, no cookie is set or read.
enum RefreshCookies {
    static let refreshName = "gh_refresh"
    static let csrfName = "gh_csrf"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// The realm's path, `/t/{tenant}/{env}`.
    static func basePath(_ realm: Realm) -> String {
        "/t/\(realm.tenantSlug)/\(realm.environmentSlug)"
    }

    /// Sets `gh_refresh` (for the realm's `api/` paths only) and a fresh `gh_csrf`, both for
    /// the refresh token's lifetime.
    static func set(_ refresh: String, on response: inout Response, realm: Realm) {
        let lifetime = Int(realm.settings.refreshTokenLifetime.timeInterval)
        Self.set(Self.cookie(Self.refreshName, refresh, path: Self.basePath(realm) + "/api/", maxAge: lifetime, httpOnly: true), on: &response)
        Self.set(Self.cookie(Self.csrfName, Self.newCSRFToken(), path: Self.basePath(realm) + "/", maxAge: lifetime, httpOnly: false), on: &response)
    }

    /// Expires both cookies (logout).
    static func expire(on response: inout Response, realm: Realm) {
        Self.set(Self.cookie(Self.refreshName, "", path: Self.basePath(realm) + "/api/", maxAge: 0, httpOnly: true), on: &response)
        Self.set(Self.cookie(Self.csrfName, "", path: Self.basePath(realm) + "/", maxAge: 0, httpOnly: false), on: &response)
    }

    /// The refresh token a request presents: the body's field when it has one, else, in
    /// cookie mode, the `gh_refresh` cookie, once the CSRF header matches the CSRF cookie.
    /// `nil` when there is neither.
    /// - Throws: 403 `csrf_failed` when the cookie is used without the matching header.
    static func refreshToken(body: String?, request: Request, realm: Realm) throws -> String? {
        if let body { return body }
        guard realm.settings.refreshCookie, let cookie = request.cookies[Self.refreshName], !cookie.value.isEmpty else { return nil }
        guard let expected = request.cookies[Self.csrfName]?.value, !expected.isEmpty,
            let presented = request.headers[Self.csrfHeader],
            ConstantTime.equal(Array(presented.utf8), Array(expected.utf8))
        else {
            throw APIError(.forbidden, code: "csrf_failed", detail: "CSRF check failed: X-CSRF-Token must repeat the gh_csrf cookie.")
        }
        return cookie.value
    }

    /// Adds `Set-Cookie` with the attributes in the contract's order (Hummingbird's own
    /// `description` orders them as a dictionary happens to, differently from run to run).
    private static func set(_ cookie: Cookie, on response: inout Response) {
        var line = "\(cookie.name)=\(cookie.value)"
        if let path = cookie.path { line += "; Path=\(path)" }
        if cookie.httpOnly { line += "; HttpOnly" }
        if cookie.secure { line += "; Secure" }
        if let sameSite = cookie.sameSite { line += "; SameSite=\(sameSite.rawValue)" }
        if let maxAge = cookie.maxAge { line += "; Max-Age=\(maxAge)" }
        response.headers.append(HTTPField(name: .setCookie, value: line))
    }

    private static func cookie(_ name: String, _ value: String, path: String, maxAge: Int, httpOnly: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: true, httpOnly: httpOnly, sameSite: .strict)
    }

    /// 256 random bits (swift-crypto's secure generator), base64url.
    private static func newCSRFToken() -> String {
        Base64URL.random(bits: 256)
    }
}
