import Foundation
import GatehouseCore
import Testing

/// The JSON text written by hand (stored claims, signed payloads, log lines) is what
/// `JSONEncoder` writes, byte for byte, and reads back as the value it was written from.
@Suite struct JSONValueTextTests {
    /// Strings that need every kind of escape, or none.
    static let strings = [
        "", "plain", "a/b", "say \"hi\"", #"back\slash"#, "line\nbreak\r\ttab", "\u{1}\u{8}\u{c}\u{1f}\u{7f}", "Grüße, 世界 🚀",
        "e\u{301}", "\u{2028}\u{2029}", "</script>", "Z", "a", "e", "ä", "\u{E000}", "\u{FF01}",
    ]

    /// Numbers with and without a fraction, near and past the exact integers, tiny and huge.
    static let numbers: [Double] = [
        0, -0.0, 1, -1, 42, 0.1, -2.5, 1e-7, 1.5e300, 1_800_000_000, 1_800_000_000.125, 8.9e15, 9e15, 9_007_199_254_740_992, 9_007_199_254_740_994,
        1e16, -9.1e15,
    ]

    static var values: [JSONValue] {
        let keyed: [String: JSONValue] = Dictionary(uniqueKeysWithValues: Self.strings.enumerated().map { ($0.element, .number(Double($0.offset))) })
        let nested: JSONValue = ["nested": ["deeper": ["list": [.number(0.5), "x\"y"]]], "b": "2", "a": "1", "Z": "upper", "é": "accent"]
        let others: [JSONValue] = [.null, true, false, [], [:], [1, "two", nil, [true]], .object(keyed), nested]
        return Self.strings.map(JSONValue.string) + Self.numbers.map(JSONValue.number) + others
    }

    @Test func theTextIsWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for value in Self.values {
            #expect(value.jsonText == String(decoding: try encoder.encode(value), as: UTF8.self), "\(value)")
        }
    }

    @Test func theTextReadsBackAsTheValue() throws {
        for value in Self.values {
            #expect(try JSONValue.parse(Array(value.jsonText.utf8)) == value, "\(value)")
            _ = try JSONSerialization.jsonObject(with: Data(value.jsonText.utf8), options: .fragmentsAllowed)
        }
    }

    @Test func controlCharactersAreEscapedAndNumbersJSONCannotHoldAreNull() {
        #expect(JSONValue.string("\u{0}\u{1f}\n\u{8}").jsonText == #""\u0000\u001f\n\b""#)
        #expect(JSONValue.array([.number(.infinity), .number(-.infinity), .number(.nan)]).jsonText == "[null,null,null]")
        #expect(JSONValue.number(-0.0).jsonText == "0")
    }
}
