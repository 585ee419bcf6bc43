import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// Cookie mode (contract section 7): the refresh token in an HttpOnly cookie, each use of
/// it guarded by the CSRF double submit.
@Suite(.timeLimit(.minutes(5))) struct CookieModeTests {
    /// The cookies an answer sets, by name: value and attributes as sent.
    static func cookies(_ answer: Answer) -> [String: (value: String, attributes: Set<String>)] {
        var cookies: [String: (String, Set<String>)] = [:]
        for line in answer.headers[values: .setCookie] {
            let parts = line.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let pair = parts[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            cookies[String(pair[0])] = (pair.count > 1 ? String(pair[1]) : "", Set(parts.dropFirst()))
        }
        return cookies
    }

    /// The request headers a browser sends back: both cookies, and the CSRF header when given.
    static func sending(_ set: [String: (value: String, attributes: Set<String>)], csrf: String?) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[.cookie] = ["gh_refresh", "gh_csrf"].compactMap { name in set[name].map { "\(name)=\($0.value)" } }.joined(separator: "; ")
        if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return headers
    }

    @Test func loginAndRefreshAnswerTheAccessTokenAndSetBothCookies() async throws {
        try await TestDeployment.with(settings: ["refresh_cookie": true]) { deployment in
            try await deployment.test { api in
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                #expect(login.status == .ok && login["access"] != nil && login.json["refresh"] == nil)
                // In the contract's words and order.
                let lines = login.headers[values: .setCookie]
                #expect(lines.count == 2)
                #expect(
                    lines.contains {
                        $0.hasPrefix("gh_refresh=") && $0.hasSuffix("; Path=/t/demo/prod/api/; HttpOnly; Secure; SameSite=Strict; Max-Age=1209600")
                    }
                )
                #expect(lines.contains { $0.hasPrefix("gh_csrf=") && $0.hasSuffix("; Path=/t/demo/prod/; Secure; SameSite=Strict; Max-Age=1209600") })
                let set = Self.cookies(login)
                let refresh = try #require(set["gh_refresh"])
                #expect(refresh.attributes == ["Path=/t/demo/prod/api/", "HttpOnly", "Secure", "SameSite=Strict", "Max-Age=1209600"])
                let csrf = try #require(set["gh_csrf"])
                #expect(csrf.attributes == ["Path=/t/demo/prod/", "Secure", "SameSite=Strict", "Max-Age=1209600"])
                #expect(csrf.value.count >= 22 && refresh.value.split(separator: ".").count == 3)

                let refreshed = try await api.send(.post, "/api/token/refresh/", headers: Self.sending(set, csrf: csrf.value))
                #expect(refreshed.status == .ok && refreshed["access"] != nil && refreshed.json["refresh"] == nil)
                let next = Self.cookies(refreshed)
                #expect(next["gh_refresh"]?.value != refresh.value && next["gh_csrf"]?.value != csrf.value)
                // The rotated-out cookie is refused like a replayed body token.
                let replay = try await api.send(.post, "/api/token/refresh/", headers: Self.sending(set, csrf: csrf.value))
                #expect(replay.status == .unauthorized && replay.code == "token_not_valid")
            }
        }
    }

    @Test func usingTheCookieWithoutTheMatchingCSRFHeaderIs403AndChangesNothing() async throws {
        try await TestDeployment.with(settings: ["refresh_cookie": true]) { deployment in
            try await deployment.test { api in
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                let set = Self.cookies(login)
                let csrf = try #require(set["gh_csrf"]?.value)
                let access = try #require(login["access"])
                for header in [nil, "", "wrong", csrf + "x", String(csrf.dropLast())] {
                    for (method, path, bearer) in [
                        (HTTPRequest.Method.post, "/api/token/refresh/", nil), (.post, "/api/token/blacklist/", nil), (.post, "/api/logout/", access),
                    ] {
                        let answer = try await api.send(method, path, bearer: bearer, headers: Self.sending(set, csrf: header))
                        #expect(answer.status == .forbidden && answer.code == "csrf_failed", "\(path) with \(header ?? "no header")")
                        #expect(answer.headers[values: .setCookie].isEmpty)
                    }
                }
                // Nothing changed: the cookie still refreshes once the header matches.
                #expect(try await api.send(.post, "/api/token/refresh/", headers: Self.sending(set, csrf: csrf)).status == .ok)
            }
        }
    }

    @Test func logoutThroughTheCookieExpiresBothAndBlacklistsTheToken() async throws {
        try await TestDeployment.with(settings: ["refresh_cookie": true]) { deployment in
            try await deployment.test { api in
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                let set = Self.cookies(login)
                let csrf = try #require(set["gh_csrf"]?.value)
                let logout = try await api.send(.post, "/api/logout/", bearer: login["access"], headers: Self.sending(set, csrf: csrf))
                #expect(logout.status == .resetContent)
                let expired = Self.cookies(logout)
                #expect(expired["gh_refresh"]?.value == "" && expired["gh_refresh"]?.attributes.contains("Max-Age=0") == true)
                #expect(expired["gh_csrf"]?.value == "" && expired["gh_csrf"]?.attributes.contains("Max-Age=0") == true)
                let after = try await api.send(.post, "/api/token/refresh/", headers: Self.sending(set, csrf: csrf))
                #expect(after.status == .unauthorized && after.code == "token_not_valid")
            }
        }
    }

    @Test func aBodyTokenStillWorksInCookieModeAndWithTheSettingOffNoCookieIsSetOrRead() async throws {
        try await TestDeployment.with(settings: ["refresh_cookie": true]) { deployment in
            try await deployment.test { api in
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                let token = try #require(Self.cookies(login)["gh_refresh"]?.value)
                // The body wins, and needs no CSRF header: a page cannot read the cookie to send it.
                #expect(try await api.post("/api/token/blacklist/", json: ["refresh": .string(token)]).status == .ok)
            }
        }
        try await TestDeployment.with { deployment in
            try await deployment.test { api in
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                #expect(login["refresh"] != nil && login.headers[values: .setCookie].isEmpty)
                var headers: HTTPFields = [:]
                headers[.cookie] = "gh_refresh=\(login["refresh"]!); gh_csrf=abc"
                headers[HTTPField.Name("X-CSRF-Token")!] = "abc"
                let refresh = try await api.send(.post, "/api/token/refresh/", body: "{}", contentType: "application/json", headers: headers)
                #expect(refresh.status == .badRequest && refresh.json["fields"]?.objectValue?["refresh"] == ["This field is required."])
            }
        }
    }
}
