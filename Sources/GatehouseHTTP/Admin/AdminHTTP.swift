import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

/// What every admin route does with a request's parts and its answer.
enum AdminHTTP {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try AdminJSON.encode(value)))
        )
    }

    static func parameter(_ context: some RequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw AdminError.notFound(name) }
        return try Self.storable(value, name)
    }

    static func query(_ request: Request, _ name: String) throws -> String? {
        try request.uri.queryParameters.get(name).map { try Self.storable($0, name) }
    }

    /// `value`, unless it holds a character PostgreSQL cannot store: then a 400 naming it.
    static func storable(_ value: String, _ name: String) throws -> String {
        guard !value.containsNUL else { throw AdminError.invalid(field: name, reason: "must not contain NUL characters") }
        return value
    }

    static func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = try self.query(request, name) else { return nil }
        guard let value = Int(text) else { throw AdminError.invalid(field: name, reason: "must be a whole number") }
        return value
    }

    static func limit(_ request: Request) throws -> Int? {
        try self.integer(request, "limit")
    }

    static func date(_ text: String?, _ name: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = AdminJSON.parseDate(text) else { throw AdminError.invalid(field: name, reason: "must be an RFC 3339 instant") }
        return date
    }
}
