import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The error middleware's last resort: an error nothing expected is a 500 in the
/// contract's shape, with nothing of the error in the answer.
@Suite(.timeLimit(.minutes(5))) struct ErrorMiddlewareTests {
    struct Unexpected: Error {
        let secret = "do-not-show-this"
    }

    @Test func anUnexpectedErrorIsA500InTheContractsShape() async throws {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("boom") { _, _ -> Response in throw Unexpected() }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                let json = try JSONValue.parse(Array(body.utf8)).objectValue
                #expect(json?["code"] == "internal_error")
                #expect(json?["detail"] != nil)
                #expect(!body.contains("do-not-show-this") && !body.contains("Unexpected"))
            }
        }
    }
}
