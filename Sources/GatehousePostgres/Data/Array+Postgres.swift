public import struct Foundation.Data
public import struct Foundation.Date
public import struct Foundation.UUID

/// A type whose one-dimensional arrays travel as a PostgreSQL array (`text[]`, `uuid[]`, ...).
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    /// The array type whose elements have ``PostgresEncodable/postgresType``.
    static var postgresArrayType: PostgresDataType { get }
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .textArray }
}

extension UUID: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .uuidArray }
}

extension Int: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int8Array }
}

extension Int64: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int8Array }
}

extension Int32: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int4Array }
}

extension Bool: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .boolArray }
}

extension Date: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .timestamptzArray }
}

extension Data: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .byteaArray }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }

    public func encode(into buffer: inout [UInt8]) {
        guard !self.isEmpty else {
            Int32(0).appendBigEndian(to: &buffer)  // dimensions
            Int32(0).appendBigEndian(to: &buffer)  // has nulls
            Element.postgresType.rawValue.appendBigEndian(to: &buffer)
            return
        }
        Int32(1).appendBigEndian(to: &buffer)
        Int32(self.contains { $0.isPostgresNull } ? 1 : 0).appendBigEndian(to: &buffer)
        Element.postgresType.rawValue.appendBigEndian(to: &buffer)
        Int32(self.count).appendBigEndian(to: &buffer)
        Int32(1).appendBigEndian(to: &buffer)  // lower bound
        for element in self {
            if element.isPostgresNull {
                Int32(-1).appendBigEndian(to: &buffer)
                continue
            }
            let lengthAt = buffer.count
            Int32(0).appendBigEndian(to: &buffer)
            element.encode(into: &buffer)
            let length = UInt32(buffer.count - lengthAt - 4).bigEndian
            Swift.withUnsafeBytes(of: length) { bytes in
                for i in 0..<4 { buffer[lengthAt + i] = bytes[i] }
            }
        }
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> [Element] {
        guard type == Element.postgresArrayType else {
            throw .typeMismatch(expected: "[\(Element.self)]", actual: type)
        }
        var offset = 0
        func next(_ count: Int) throws(PostgresDecodingError) -> UnsafeRawBufferPointer {
            guard count >= 0, offset + count <= bytes.count else { throw .malformed("array") }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }
        func int32() throws(PostgresDecodingError) -> Int32 {
            try next(4).bigEndianInteger(as: Int32.self, what: "array")
        }
        let dimensions = try int32()
        _ = try int32()  // has-nulls flag: each element says so itself
        let elementType = PostgresDataType(rawValue: UInt32(bitPattern: try int32()))
        guard dimensions != 0 else { return [] }
        guard dimensions == 1 else { throw .malformed("multi-dimensional array") }
        let count = Int(try int32())
        _ = try int32()  // lower bound
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try int32())
            if length < 0 {
                elements.append(try Element.decodeNull(type: elementType))
            } else {
                elements.append(try Element.decode(from: try next(length), type: elementType))
            }
        }
        return elements
    }
}
