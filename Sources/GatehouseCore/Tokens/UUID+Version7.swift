import Crypto
public import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562 §5.7): the instant in milliseconds since the epoch in its
    /// first 48 bits, random bits after. Token ids are made so: `iat` stays in whole seconds,
    /// as PyJWT and SimpleJWT expect, while the id carries the issue instant to the
    /// millisecond that revocation instants are compared with.
    public static func version7(at instant: Date) -> UUID {
        let milliseconds = UInt64(max(0, (instant.timeIntervalSince1970 * 1000).rounded(.down)))
        // One draw of 128 bits, not sixteen of one byte: each draw was a system call.
        var bytes = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }

    /// The instant of a version 7 UUID; `nil` for any other version.
    public var version7Instant: Date? {
        let bytes = self.uuid
        guard bytes.6 >> 4 == 7, bytes.8 >> 6 == 0b10 else { return nil }
        let milliseconds = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
