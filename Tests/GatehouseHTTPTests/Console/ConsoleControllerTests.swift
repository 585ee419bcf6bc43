import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// The console's files: served by name only, each with its content type and the console's
/// security headers, which the realm and admin APIs never carry.
@Suite(.timeLimit(.minutes(5))) struct ConsoleControllerTests {
    static let policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The checked-in files, by name.
    static let assets: [String: String] = {
        let folder = TestPostgres.repositoryRoot.appendingPathComponent("Sources/GatehouseHTTP/Console/Assets")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return Dictionary(
            uniqueKeysWithValues: names.map { ($0, (try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) ?? "") }
        )
    }()

    static func expectSecurityHeaders(_ answer: Answer, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.headers[.contentSecurityPolicy] == Self.policy, "\(path)", sourceLocation: sourceLocation)
        #expect(answer.headers[.xContentTypeOptions] == "nosniff", "\(path)", sourceLocation: sourceLocation)
        #expect(answer.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(path)", sourceLocation: sourceLocation)
        #expect(answer.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(path)", sourceLocation: sourceLocation)
    }

    static func root(_ client: RealmTestClient) -> RealmTestClient {
        var root = client
        root.base = ""
        return root
    }

    @Test func everyFileIsServedAsCheckedInWithItsContentTypeAndTheSecurityHeaders() async throws {
        let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"]
        #expect(Self.assets.keys.contains("index.html") && Self.assets.keys.contains("app.js") && Self.assets.keys.contains("console.css"))
        try await TestDeployment.with { deployment in
            try await deployment.test { client in
                let client = Self.root(client)
                for (name, text) in Self.assets {
                    let answer = try await client.send(.get, "/console/\(name)")
                    #expect(answer.status == .ok, "\(name)")
                    #expect(answer.headers[.contentType] == types[(name as NSString).pathExtension], "\(name)")
                    #expect(answer.json["raw"]?.stringValue == text, "\(name) is served as checked in")
                    #expect(answer.headers[.eTag]?.hasPrefix("\"") == true, "\(name)")
                    #expect(answer.headers[.cacheControl] == "no-cache", "\(name)")
                    Self.expectSecurityHeaders(answer, name)
                }
                let page = try await client.send(.get, "/console/")
                #expect(page.status == .ok)
                #expect(page.json["raw"]?.stringValue == Self.assets["index.html"])
                Self.expectSecurityHeaders(page, "/console/")
                let head = try await client.send(.head, "/console/app.js")
                #expect(head.status == .ok)
                Self.expectSecurityHeaders(head, "HEAD /console/app.js")
            }
        }
    }

    @Test func theBarePathRedirectsToThePageAndAnUnchangedFileIs304() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { client in
                let client = Self.root(client)
                let bare = try await client.send(.get, "/console")
                #expect(bare.status == .permanentRedirect)
                #expect(bare.headers[.location] == "/console/")
                Self.expectSecurityHeaders(bare, "/console")

                let first = try await client.send(.get, "/console/app.js")
                let etag = try #require(first.headers[.eTag])
                let again = try await client.send(.get, "/console/app.js", headers: [.ifNoneMatch: etag])
                #expect(again.status == .notModified)
                #expect(again.headers[.eTag] == etag)
                Self.expectSecurityHeaders(again, "304")
                let changed = try await client.send(.get, "/console/app.js", headers: [.ifNoneMatch: "\"other\""])
                #expect(changed.status == .ok)
            }
        }
    }

    @Test func unknownNamesAndPathTricksAre404WithTheSecurityHeaders() async throws {
        let names = [
            "nope.js", "APP.JS", "app.js.map", "Assets", ".", "..", "..%2Fopenapi.json", "%2E%2E%2Fopenapi.json", "..%2F..%2FPackage.swift",
            "%2Fetc%2Fpasswd", "app.js%00", "app.js%2F", "index.html%3F", "..%5Copenapi.json", "%252E%252E%252Fopenapi.json",
        ]
        try await TestDeployment.with { deployment in
            try await deployment.test { client in
                let client = Self.root(client)
                for name in names {
                    let answer = try await client.send(.get, "/console/\(name)")
                    #expect(answer.status == .notFound, "\(name)")
                    #expect(answer.code == "not_found", "\(name)")
                    #expect(answer.headers[.contentType] == "application/json", "\(name)")
                    Self.expectSecurityHeaders(answer, name)
                }
                // Deeper paths match no console route at all: the router's own 404, never a file.
                for path in ["/console/../openapi.json", "/console/./app.js/../../Package.swift", "/console/a/b"] {
                    let answer = try await client.send(.get, path)
                    #expect(answer.status == .notFound, "\(path)")
                    #expect(answer.code == "not_found", "\(path)")
                }
            }
        }
    }

    @Test func realmAndAdminAnswersCarryNoneOfTheConsolesHeaders() async throws {
        try await TestDeployment.with { deployment in
            try await deployment.test { client in
                let root = Self.root(client)
                let answers = [
                    ("jwks", try await client.send(.get, "/.well-known/jwks.json")),
                    ("login", try await client.post("/api/token/", json: ["username": "nobody", "password": "x"])),
                    ("me", try await client.send(.get, "/api/me/")),
                    ("admin", try await root.send(.get, "/admin/v1/tenants")),
                    ("healthz", try await root.send(.get, "/healthz")),
                    ("metrics", try await root.send(.get, "/metrics")),
                    ("unknown", try await root.send(.get, "/nothing-here")),
                ]
                for (name, answer) in answers {
                    #expect(answer.headers[.contentSecurityPolicy] == nil, "\(name)")
                    #expect(answer.headers[HTTPField.Name("Referrer-Policy")!] == nil, "\(name)")
                }
                #expect(answers[0].1.status == .ok)
            }
        }
    }
}
