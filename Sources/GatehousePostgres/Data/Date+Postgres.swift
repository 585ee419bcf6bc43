public import struct Foundation.Date

extension Date: PostgresEncodable, PostgresDecodable {
    /// Seconds from 1970-01-01 (Unix) to 2000-01-01 (PostgreSQL's epoch).
    static let postgresEpochOffset: Int64 = 946_684_800

    public static var postgresType: PostgresDataType { .timestamptz }

    public func encode(into buffer: inout [UInt8]) {
        let seconds = self.timeIntervalSince1970 - Double(Self.postgresEpochOffset)
        Int64((seconds * 1_000_000).rounded()).appendBigEndian(to: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws(PostgresDecodingError) -> Date {
        guard type == .timestamptz || type == .timestamp else { throw .typeMismatch(expected: "Date", actual: type) }
        let microseconds = try bytes.bigEndianInteger(as: Int64.self, what: "timestamp")
        switch microseconds {
        case .max: return .distantFuture
        case .min: return .distantPast
        default:
            let seconds = microseconds / 1_000_000 + Self.postgresEpochOffset
            let fraction = Double(microseconds % 1_000_000) / 1_000_000
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }
    }
}
