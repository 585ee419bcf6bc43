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
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        let buffer = try await request.collectBody(upTo: Self.maximumBodySize)
        let body = Array(buffer.readableBytesView)
        if mediaType == "application/json" || (mediaType == nil && body.first == UInt8(ascii: "{")) {
            // JSONSerialization, not a Decodable model: the fields are few and checked one by
            // one below, and on the hot paths it costs a fraction of JSONDecoder.
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
