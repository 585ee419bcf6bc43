import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A response, decoded.
struct Answer {
    var status: HTTPResponse.Status
    var json: [String: JSONValue]
    var headers: HTTPFields

    subscript(_ key: String) -> String? { self.json[key]?.stringValue }
    var code: String? { self["code"] }
}

/// An answer a helper did not expect: it throws rather than read as empty.
struct UnexpectedAnswer: Error, CustomStringConvertible {
    let answer: Answer

    init(_ answer: Answer) {
        self.answer = answer
    }

    var description: String { "unexpected answer \(self.answer.status): \(self.answer.json)" }
}

/// Calls the realm API of a ``TestDeployment`` through a Hummingbird test client.
struct RealmTestClient {
    let client: any TestClientProtocol
    var base = "/t/demo/prod"

    func post(_ path: String, json: [String: JSONValue], bearer: String? = nil) async throws -> Answer {
        try await self.send(.post, path, body: JSONValue.object(json).jsonText, contentType: "application/json", bearer: bearer)
    }

    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        contentType: String? = nil,
        bearer: String? = nil,
        authorization: String? = nil,
        forwardedFor: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers = extra
        if let forwardedFor { headers[HTTPField.Name("X-Forwarded-For")!] = forwardedFor }
        if let contentType { headers[.contentType] = contentType }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if let authorization { headers[.authorization] = authorization }
        return try await self.client.execute(
            uri: self.base + path,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        ) { response in
            let text = String(buffer: response.body)
            let json = text.isEmpty ? [:] : ((try? JSONValue.parse(Array(text.utf8)))?.objectValue ?? ["raw": .string(text)])
            return Answer(status: response.status, json: json, headers: response.headers)
        }
    }

    func login(_ username: String = "alice", _ password: String = "secret") async throws -> (access: String, refresh: String) {
        let answer = try await self.post("/api/token/", json: ["username": .string(username), "password": .string(password)])
        #expect(answer.status == .ok, "\(answer.json)")
        return (try #require(answer["access"]), try #require(answer["refresh"]))
    }
}

extension TestDeployment {
    /// Runs `body` against this deployment's router: in process, or over a real socket on
    /// 127.0.0.1 (`.live`), where the peer address is real.
    func test<Result: Sendable>(
        mode: TestingSetup = .router,
        clientAddress: ClientAddress = ClientAddress(),
        _ body: @Sendable (RealmTestClient) async throws -> Result
    ) async throws -> Result {
        let app = Application(
            router: GatehouseApplication.makeRouter(tokens: self.tokens, admin: self.admin, clientAddress: clientAddress)
        )
        return try await app.test(mode) { client in try await body(RealmTestClient(client: client)) }
    }
}
