extension JSONValue {
    /// The compact JSON text of this value, object keys sorted: what is stored as `jsonb`,
    /// printed, and signed as a token's claims.
    public var jsonText: String {
        var text = ""
        self.write(into: &text)
        return text
    }

    /// Appends the compact JSON text of this value to `text`, as `JSONEncoder` writes it
    /// with sorted keys and unescaped slashes (object keys in the order of their UTF-8
    /// bytes), except that a number JSON cannot hold (infinite, NaN), which no parsed
    /// document has, is written as `null`.
    public func write(into text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let bool): text += bool ? "true" : "false"
        case .number(let number): Self.write(number, into: &text)
        case .string(let string): Self.quote(string, into: &text)
        case .array(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += "," }
                item.write(into: &text)
            }
            text += "]"
        case .object(let object):
            text += "{"
            for (index, (key, value)) in Self.sortedMembers(object).enumerated() {
                if index > 0 { text += "," }
                Self.quote(key, into: &text)
                text += ":"
                value.write(into: &text)
            }
            text += "}"
        }
    }

    /// The members of an object in the order `JSONEncoder` sorts keys: by their UTF-8 bytes.
    static func sortedMembers(_ object: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        object.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// Appends `number` as JSON, as ``JSONValue/encode(to:)`` has `JSONEncoder` write it: an
    /// integer when it has no fraction and is well inside the exact ones (so `-0` is `0`),
    /// otherwise Swift's shortest round-tripping form without a trailing `.0` (`0.1`,
    /// `1e-07`, `1e+16`).
    static func write(_ number: Double, into text: inout String) {
        if !number.isFinite {
            text += "null"
        } else if let integer = JSONValue.number(number).integerValue {
            text += String(integer)
        } else {
            let shortest = number.description
            text += shortest.hasSuffix(".0") ? shortest.dropLast(2) : Substring(shortest)
        }
    }

    /// Appends `string` as a JSON string (RFC 8259 §7), as `JSONEncoder` writes it: quotes,
    /// backslashes and control characters escaped, `/` and everything else as it is. Most
    /// strings need no escape, and are copied whole.
    public static func quote(_ string: String, into text: inout String) {
        text += "\""
        func needsEscape(_ byte: UInt8) -> Bool { byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") }
        // Tokens are quoted whole in every answer: scan native strings' bytes directly.
        let escaped = string.utf8.withContiguousStorageIfAvailable { $0.contains(where: needsEscape) } ?? string.utf8.contains(where: needsEscape)
        if !escaped {
            text += string
        } else {
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case "\u{8}": text += "\\b"
                case "\u{c}": text += "\\f"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
