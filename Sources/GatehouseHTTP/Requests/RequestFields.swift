import Foundation
import GatehouseCore
import HTTPTypes
public import Hummingbird

/// The string fields of a request body, JSON or `application/x-www-form-urlencoded`, as
/// SimpleJWT accepts them.
public struct RequestFields: Sendable {
    /// Largest body read; a token request is a few kilobytes at most.
    public static let maximumBodySize = 64 * 1024

    /// What a field held, as far as the endpoints care.
    private enum Field: Sendable {
        case string(String)
        case null
        case other
    }

    private var values: [String: Field]

    /// Reads and parses the body.
    /// - Throws: ``APIError`` 415 for another media type, 413 for a body that is too large,
    ///   400 for one that does not parse or is not an object.
    public static func read(from request: Request) async throws -> RequestFields {
        var request = request
        let mediaType = request.headers[.contentType].map(Self.mediaType)
        let buffer = try await request.collectBody(upTo: Self.maximumBodySize)
        let body = Array(buffer.readableBytesView)
        if mediaType == "application/json" || (mediaType == nil && body.first == UInt8(ascii: "{")) {
            // JSONSerialization, not a Decodable model: the fields are few and checked one by
            // one below, and it costs less than half of what JSONDecoder does for them.
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw APIError(.badRequest, code: "invalid_request", detail: "JSON parse error: the body must be a JSON object.")
            }
            return RequestFields(
                values: object.mapValues { value in
                    switch value {
                    case let string as String: .string(string)
                    case is NSNull: .null
                    default: .other
                    }
                }
            )
        }
        guard mediaType == "application/x-www-form-urlencoded" || mediaType == nil else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "Unsupported media type in request.")
        }
        return RequestFields(values: Self.form(body).mapValues(Field.string))
    }

    /// The media type of a `Content-Type` value, without its parameters, blanks or case:
    /// `Application/JSON ; charset=utf-8` is `application/json`. Read as bytes: Foundation's
    /// trimming bridges through NSString, a few percent of a verify.
    static func mediaType(_ value: String) -> String {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        var essence = value.utf8.prefix { $0 != UInt8(ascii: ";") }
        while let first = essence.first, blank(first) { essence = essence.dropFirst() }
        while let last = essence.last, blank(last) { essence = essence.dropLast() }
        return String(Substring(essence)).lowercased()
    }

    /// The string fields `names`, or a 400 naming each missing or mistyped one.
    public func strings(_ names: String...) throws -> [String] {
        var fields: [String: [String]] = [:]
        var result: [String] = []
        for name in names {
            switch self.values[name] {
            case .string(let value) where value.containsNUL:
                fields[name] = ["Null characters are not allowed."]
            case .string(let value) where !value.isEmpty:
                result.append(value)
            case .none, .null, .string:
                fields[name] = ["This field is required."]
            case .other:
                fields[name] = ["Not a valid string."]
            }
        }
        guard fields.isEmpty else {
            throw APIError(.badRequest, code: "invalid_request", detail: "Invalid request.", fields: fields)
        }
        return result
    }

    /// The string field `name` when the body has one; `nil` when it is absent or null.
    /// - Throws: ``APIError`` 400 naming it when it is empty, not a string or holds a NUL.
    public func optionalString(_ name: String) throws -> String? {
        switch self.values[name] {
        case .none, .null: nil
        default: try self.strings(name)[0]
        }
    }

    /// `a=1&b=two+words` with percent-decoding; a malformed pair is kept as it came.
    private static func form(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }
}
