import Crypto

/// What a throttle counts by, as a fixed-size hash of its parts (the throttle, the realm,
/// the client address or username): maps and rows keyed by client input stay the same
/// size whatever the client sends, and no address or username is stored.
public struct ThrottleKey: Hashable, Sendable, CustomStringConvertible {
    private let high: UInt64
    private let low: UInt64

    /// The key of `parts`, joined unambiguously.
    public init(_ parts: String...) {
        var hasher = SHA256()
        for part in parts {
            hasher.update(data: Array("\(part.utf8.count):".utf8))
            hasher.update(data: Array(part.utf8))
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in hasher.finalize().prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// 32 hexadecimal digits.
    public var description: String {
        Self.hex(self.high) + Self.hex(self.low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
