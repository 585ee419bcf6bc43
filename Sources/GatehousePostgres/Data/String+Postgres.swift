extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .text }

    public func encode(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: self.utf8)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> String {
        switch type {
        case .text, .varchar, .bpchar, .name, .json:
            return String(decoding: bytes, as: UTF8.self)
        default:
            throw .typeMismatch(expected: "String", actual: type)
        }
    }
}
