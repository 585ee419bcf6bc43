import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Throttles as clients meet them: by address through trusted proxies only, and failed
/// logins per username from any number of addresses.
@Suite(.timeLimit(.minutes(5))) struct RealmThrottleTests {

    @Test func forwardedForCountsOnlyFromATrustedProxy() async throws {
        try await TestDeployment.with(settings: ["throttle_anon": "3/day"]) { deployment in
            let access = try await deployment.tokens.obtainPair(in: try await deployment.realm(), username: "alice", password: "secret").access
            // Not trusted: every "address" is the one peer, 127.0.0.1.
            try await deployment.test(mode: .live) { api in
                var statuses: [HTTPResponse.Status] = []
                for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"] {
                    statuses.append(try await api.verifyStatus(access, from: address))
                }
                #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
            }
            // Trusted: each forwarded address has a budget of its own; a client's own prefix does not help.
            let proxy = ClientAddress(trustedProxies: try ClientAddress.networks(["127.0.0.1/32"]))
            try await deployment.test(mode: .live, clientAddress: proxy) { api in
                var statuses: [HTTPResponse.Status] = []
                for address in ["198.51.100.1", "198.51.100.1", "198.51.100.1", "6.6.6.6, 198.51.100.1", "198.51.100.2"] {
                    statuses.append(try await api.verifyStatus(access, from: address))
                }
                #expect(statuses == [.ok, .ok, .ok, .tooManyRequests, .ok])
            }
        }
    }

    @Test func failedLoginsArePerUsernameFromAnyAddress() async throws {
        try await TestDeployment.with(settings: ["throttle_login_user": "10/day"]) { deployment in
            try await deployment.createUser("bob", password: "bobs", tenant: try await deployment.tenantID("demo"))
            let proxy = ClientAddress(trustedProxies: try ClientAddress.networks(["127.0.0.1"]))
            try await deployment.test(mode: .live, clientAddress: proxy) { api in
                // Successful logins give their attempt back.
                for _ in 0..<12 { _ = try await api.login() }
                for index in 0..<10 {
                    let answer = try await api.send(
                        .post,
                        "/api/token/",
                        body: #"{"username": "alice", "password": "guess\#(index)"}"#,
                        contentType: "application/json",
                        forwardedFor: "203.0.113.\(index)"
                    )
                    #expect(answer.code == "no_active_account")
                }
                // The eleventh guess, from yet another address, is refused unhashed; so is the right password.
                let refused = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                #expect(refused.status == .tooManyRequests && refused.code == "throttled")
                #expect(Int(refused.headers[.retryAfter] ?? "") != nil)
                // Another user is not affected.
                _ = try await api.login("bob", "bobs")
            }
        }
    }
}

extension RealmTestClient {
    /// The status of verifying `token`, sent as if forwarded for `address`.
    func verifyStatus(_ token: String, from address: String) async throws -> HTTPResponse.Status {
        try await self.send(.post, "/api/token/verify/", body: #"{"token": "\#(token)"}"#, contentType: "application/json", forwardedFor: address)
            .status
    }
}
