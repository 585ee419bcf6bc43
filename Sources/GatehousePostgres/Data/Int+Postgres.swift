extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .int8 }

    public func encode(into buffer: inout [UInt8]) {
        self.appendBigEndian(to: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Int64 {
        switch type {
        case .int8: try bytes.bigEndianInteger(as: Int64.self, what: "int8")
        case .int4: Int64(try bytes.bigEndianInteger(as: Int32.self, what: "int4"))
        case .int2: Int64(try bytes.bigEndianInteger(as: Int16.self, what: "int2"))
        default: throw .typeMismatch(expected: "Int64", actual: type)
        }
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .int4 }

    public func encode(into buffer: inout [UInt8]) {
        self.appendBigEndian(to: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Int32 {
        switch type {
        case .int4: try bytes.bigEndianInteger(as: Int32.self, what: "int4")
        case .int2: Int32(try bytes.bigEndianInteger(as: Int16.self, what: "int2"))
        default: throw .typeMismatch(expected: "Int32", actual: type)
        }
    }
}

extension Int16: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .int2 }

    public func encode(into buffer: inout [UInt8]) {
        self.appendBigEndian(to: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Int16 {
        guard type == .int2 else { throw .typeMismatch(expected: "Int16", actual: type) }
        return try bytes.bigEndianInteger(as: Int16.self, what: "int2")
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .int8 }

    public func encode(into buffer: inout [UInt8]) {
        Int64(self).appendBigEndian(to: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Int {
        Int(try Int64.decode(from: bytes, type: type))
    }
}
