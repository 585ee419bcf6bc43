extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .float8 }

    public func encode(into buffer: inout [UInt8]) {
        self.bitPattern.appendBigEndian(to: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Double {
        switch type {
        case .float8: Double(bitPattern: try bytes.bigEndianInteger(as: UInt64.self, what: "float8"))
        case .float4: Double(Float(bitPattern: try bytes.bigEndianInteger(as: UInt32.self, what: "float4")))
        default: throw .typeMismatch(expected: "Double", actual: type)
        }
    }
}
