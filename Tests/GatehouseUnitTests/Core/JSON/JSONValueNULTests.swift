import GatehouseCore
import Testing

/// U+0000 is found wherever it is: in native strings, substrings and bridged text, and
/// inside arrays and object keys.
@Suite struct JSONValueNULTests {
    @Test func aNULIsFoundAtAnyPlace() {
        let token = String(repeating: "eyJhbGciOiJIUzI1NiJ9", count: 20)
        #expect(!token.containsNUL)
        #expect(!"".containsNUL)
        for index in [0, 1, 199, 399] {
            var bytes = Array(token.utf8)
            bytes[index] = 0
            #expect(String(decoding: bytes, as: UTF8.self).containsNUL, "at \(index)")
        }
        #expect("é\u{0}".containsNUL)
        #expect(token.dropFirst(3).containsNUL == false)
        #expect("ab\u{0}cd".dropFirst(1).containsNUL)
        #expect("ab\u{0}cd".dropFirst(3).containsNUL == false)
    }

    @Test func aNULIsFoundInsideValues() {
        #expect(JSONValue.array([.string("a"), .string("b\u{0}")]).containsNUL)
        #expect(JSONValue.object(["k\u{0}": .null]).containsNUL)
        #expect(!JSONValue.object(["k": .array([.number(1), .string("x")])]).containsNUL)
    }
}
