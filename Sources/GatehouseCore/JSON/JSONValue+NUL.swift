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
    /// Whether the text holds U+0000, which PostgreSQL's `text` cannot store.
    public var containsNUL: Bool {
        self.utf8.contains(0)
    }
}
