public import struct Foundation.Data

extension Data: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .bytea }

    public func encode(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: self)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Data {
        guard type == .bytea else { throw .typeMismatch(expected: "Data", actual: type) }
        return Data(bytes)
    }
}
