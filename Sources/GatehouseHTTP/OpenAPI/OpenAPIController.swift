import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore

/// Serves the OpenAPI 3.1 document of the whole HTTP API (`openapi.json`, checked in next to
/// this file) at `/openapi.json`.
public struct OpenAPIController: Sendable {
    /// The document's bytes, as checked in.
    static let document: Data? = Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap {
        try? Data(contentsOf: $0)
    }

    public init() {}

    /// Adds the route to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("openapi.json") { _, _ -> Response in
            guard let document = Self.document else { throw APIError(.notFound, code: "not_found", detail: "Not found.") }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: document))
            )
        }
    }
}
