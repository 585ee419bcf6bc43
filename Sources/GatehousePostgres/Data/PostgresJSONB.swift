/// A `jsonb` value, kept as its JSON text.
///
/// The layer does not parse JSON itself: callers decode the text with the JSON coder of
/// their choice, so a malformed document is their error to report, never a crash here.
public struct PostgresJSONB: PostgresEncodable, PostgresDecodable, Hashable {
    /// The JSON document as UTF-8 text.
    public var text: String

    /// - Parameter text: a JSON document; the server rejects text that is not JSON.
    public init(_ text: String) {
        self.text = text
    }

    public static var postgresType: PostgresDataType { .jsonb }

    public func encode(into buffer: inout [UInt8]) {
        buffer.append(1)  // jsonb binary format version
        buffer.append(contentsOf: self.text.utf8)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> PostgresJSONB {
        switch type {
        case .jsonb:
            guard bytes.first == 1 else { throw .malformed("jsonb") }
            return PostgresJSONB(String(decoding: UnsafeRawBufferPointer(rebasing: bytes.dropFirst()), as: UTF8.self))
        case .json:
            return PostgresJSONB(String(decoding: bytes, as: UTF8.self))
        default:
            throw .typeMismatch(expected: "PostgresJSONB", actual: type)
        }
    }
}
