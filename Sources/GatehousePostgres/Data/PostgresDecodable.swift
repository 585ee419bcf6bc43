/// A Swift type that a column in PostgreSQL's binary format can be decoded into.
///
/// Decoding checks the column's type: asking for an `Int` from a `text` column throws
/// ``PostgresDecodingError`` instead of guessing.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-`NULL` value.
    /// - Parameters:
    ///   - bytes: the value's binary representation; valid only during the call.
    ///   - type: the column's type as reported by the server.
    static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Self

    /// The value for SQL `NULL`; throws unless the type can represent it (`Optional`).
    static func decodeNull(type: PostgresDataType) throws(PostgresDecodingError) -> Self
}

extension PostgresDecodable {
    public static func decodeNull(type: PostgresDataType) throws(PostgresDecodingError) -> Self {
        throw .unexpectedNull(expected: "\(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(
        from bytes: UnsafeRawBufferPointer,
        type: PostgresDataType
    ) throws(PostgresDecodingError) -> Self {
        try Wrapped.decode(from: bytes, type: type)
    }

    public static func decodeNull(type: PostgresDataType) throws(PostgresDecodingError) -> Self {
        nil
    }
}

/// Why a column could not be decoded into the requested Swift type.
public enum PostgresDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The column's PostgreSQL type does not map to the requested Swift type.
    case typeMismatch(expected: String, actual: PostgresDataType)
    /// The column is `NULL` but the requested type is not optional.
    case unexpectedNull(expected: String)
    /// The bytes are not a valid value of the column's type.
    case malformed(String)
    /// The row has fewer columns than were asked for, or a named column is missing.
    case missingColumn(String)

    public var description: String {
        switch self {
        case .typeMismatch(let expected, let actual): "cannot decode a \(actual) column as \(expected)"
        case .unexpectedNull(let expected): "unexpected NULL for non-optional \(expected)"
        case .malformed(let what): "malformed \(what) value"
        case .missingColumn(let column): "no column \(column) in the result"
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a big-endian integer of exactly this buffer's size.
    @inlinable
    func bigEndianInteger<T: FixedWidthInteger>(as: T.Type, what: String) throws(PostgresDecodingError) -> T {
        guard self.count == MemoryLayout<T>.size else { throw .malformed(what) }
        return T(bigEndian: self.loadUnaligned(as: T.self))
    }
}
