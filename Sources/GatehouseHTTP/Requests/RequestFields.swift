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
    enum Field: Sendable, Equatable {
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
        let mediaType = request.headers.value(of: .contentType).map(Self.mediaType)
        let buffer = try await request.collectBody(upTo: Self.maximumBodySize)
        let body = Array(buffer.readableBytesView)
        if mediaType == "application/json" || (mediaType == nil && body.first == UInt8(ascii: "{")) {
            guard let values = Self.json(body) else {
                throw APIError(.badRequest, code: "invalid_request", detail: "JSON parse error: the body must be a JSON object.")
            }
            return RequestFields(values: values)
        }
        guard mediaType == "application/x-www-form-urlencoded" || mediaType == nil else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "Unsupported media type in request.")
        }
        return RequestFields(values: Self.form(body).mapValues(Field.string))
    }

    /// The members of a JSON body that is an object; `nil` for any other body.
    ///
    /// `JSONSerialization`, not a Decodable model: the fields are few and checked one by one
    /// in ``strings(_:)``, and it costs less than half of what `JSONDecoder` does for them.
    /// A body of one token, as verify, refresh and blacklist get, is read without it
    /// (``oneTokenMember(_:)``).
    static func json(_ body: [UInt8]) -> [String: Field]? {
        if let (name, value) = Self.oneTokenMember(body) {
            return [name: .string(value)]
        }
        return Self.serialization(body)
    }

    /// The members of a JSON body that is an object, read by `JSONSerialization`.
    static func serialization(_ body: [UInt8]) -> [String: Field]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return object.mapValues { value in
            switch value {
            case let string as String: .string(string)
            case is NSNull: .null
            default: .other
            }
        }
    }

    /// The member of a body such as `{"token": "eyJ…"}`, a JSON object of one string member
    /// whose name is letters, digits and `_` and whose value is a token's characters
    /// (base64url and `.`), with JSON's blanks around them; `nil` for any other body.
    ///
    /// Such a body has one meaning for every JSON reader: no quote, backslash or byte beyond
    /// ASCII can occur in the name or the value, and there is nothing else. Any other body,
    /// however close, goes to `JSONSerialization`, which had been 2 % of a verify's CPU (`perf`).
    static func oneTokenMember(_ body: [UInt8]) -> (name: String, value: String)? {
        var index = 0
        func skipBlanks() {
            while index < body.count, body[index] == 0x20 || body[index] == 0x09 || body[index] == 0x0A || body[index] == 0x0D { index += 1 }
        }
        func take(_ byte: UInt8) -> Bool {
            guard index < body.count, body[index] == byte else { return false }
            index += 1
            return true
        }
        func run(_ allowed: (UInt8) -> Bool) -> ArraySlice<UInt8> {
            let start = index
            while index < body.count, allowed(body[index]) { index += 1 }
            return body[start..<index]
        }
        let alphanumeric: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        skipBlanks()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipBlanks()
        guard take(UInt8(ascii: "\"")) else { return nil }
        let name = run { alphanumeric($0) || $0 == UInt8(ascii: "_") }
        guard !name.isEmpty, take(UInt8(ascii: "\"")) else { return nil }
        skipBlanks()
        guard take(UInt8(ascii: ":")) else { return nil }
        skipBlanks()
        guard take(UInt8(ascii: "\"")) else { return nil }
        let value = run { alphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
        guard take(UInt8(ascii: "\"")) else { return nil }
        skipBlanks()
        guard take(UInt8(ascii: "}")) else { return nil }
        skipBlanks()
        guard index == body.count else { return nil }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
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
