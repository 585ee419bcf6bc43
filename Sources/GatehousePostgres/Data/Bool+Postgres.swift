extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .bool }

    public func encode(into buffer: inout [UInt8]) {
        buffer.append(self ? 1 : 0)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Bool {
        guard type == .bool else { throw .typeMismatch(expected: "Bool", actual: type) }
        guard bytes.count == 1 else { throw .malformed("bool") }
        return bytes[0] != 0
    }
}
