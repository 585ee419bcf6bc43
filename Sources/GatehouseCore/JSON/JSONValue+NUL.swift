import Foundation

extension JSONValue {
    /// Whether a string or an object key anywhere inside holds U+0000, which PostgreSQL's
    /// `text` and `jsonb` cannot store: such input is refused as a 400 before it reaches SQL.
    public var containsNUL: Bool {
        switch self {
        case .null, .bool, .number: false
        case .string(let string): string.containsNUL
        case .array(let items): items.contains { $0.containsNUL }
        case .object(let object): object.contains { $0.key.containsNUL || $0.value.containsNUL }
        }
    }
}

extension StringProtocol {
    /// Whether the text holds U+0000, which PostgreSQL's `text` cannot store. Native
    /// strings are searched with `memchr`: every token a request carries is checked, and
    /// the generic scan byte by byte was 1 % of a verify.
    public var containsNUL: Bool {
        let found = self.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
        return found ?? self.utf8.contains(0)
    }
}
