import Foundation
public import HTTPTypes
public import Hummingbird

/// An error answer of the contract: JSON `{"detail", "code"}` with the status it implies.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// The machine-readable code, e.g. `token_not_valid`.
    public var code: String
    /// A sentence for people.
    public var detail: String
    /// Per-field reasons for `invalid_request`.
    public var fields: [String: [String]]?
    /// Extra headers, such as `Retry-After`.
    public var headers: HTTPFields
    /// The OAuth error code (RFC 6749 §5.2), as `error` beside `detail` and `code`, on the
    /// endpoints that OAuth clients call (RFC 7662, RFC 7009).
    public var oauthError: String?

    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - code: the contract's error code.
    ///   - detail: a sentence for people.
    ///   - fields: per-field reasons, for `invalid_request`.
    ///   - headers: extra response headers.
    public init(
        _ status: HTTPResponse.Status,
        code: String,
        detail: String,
        fields: [String: [String]]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.fields = fields
        self.headers = headers
    }

    /// 503 `unavailable`: the database is needed and cannot be reached.
    public static let unavailable = APIError(.serviceUnavailable, code: "unavailable", detail: "Service temporarily unavailable.")

    private struct Body: Encodable {
        var detail: String
        var code: String
        var fields: [String: [String]]?
        var error: String?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(Body(detail: self.detail, code: self.code, fields: self.fields, error: self.oauthError))
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: self.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
