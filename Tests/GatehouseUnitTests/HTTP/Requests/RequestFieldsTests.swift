import Testing

@testable import GatehouseHTTP

/// How a body's media type is read from `Content-Type`.
@Suite struct RequestFieldsTests {
    @Test(arguments: [
        ("application/json", "application/json"),
        ("Application/JSON", "application/json"),
        ("application/json; charset=utf-8", "application/json"),
        ("  application/json\t ;charset=utf-8", "application/json"),
        ("application/x-www-form-urlencoded;charset=UTF-8", "application/x-www-form-urlencoded"),
        ("application/xml", "application/xml"),
        ("", ""),
        (" ; ", ""),
    ])
    func theMediaTypeDropsParametersBlanksAndCase(value: String, expected: String) {
        #expect(RequestFields.mediaType(value) == expected)
    }
}

/// A body of one token is read without `JSONSerialization`, and means what it would have.
@Suite struct RequestFieldsOneTokenTests {
    static let token = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLV8"

    @Test(arguments: [
        #"{"token": "\#(RequestFieldsOneTokenTests.token)"}"#,
        #"{"token":"\#(RequestFieldsOneTokenTests.token)"}"#,
        " \r\n\t{ \"refresh\"\t:\n\"\(RequestFieldsOneTokenTests.token)\" }\n",
        #"{"token": ""}"#,
        #"{"T_0k3n": "a.b-c_d"}"#,
    ])
    func aBodyOfOneTokenIsReadWithoutJSONSerializationAsItWouldHaveBeen(body: String) throws {
        let bytes = Array(body.utf8)
        let member = try #require(RequestFields.oneTokenMember(bytes))
        #expect(RequestFields.json(bytes) == [member.name: .string(member.value)])
        #expect(RequestFields.json(bytes) == RequestFields.serialization(bytes))
    }

    @Test(arguments: [
        #"{"token": "a\/b"}"#,  // an escape
        #"{"token": "\u0061"}"#,
        #"{"tok\u0065n": "a"}"#,
        #"{"token": "é"}"#,  // beyond ASCII
        #"{"token": "a b"}"#,
        #"{"token": "a", "token": "b"}"#,  // a second member, the same name
        #"{"token": "a", "x": 1}"#,
        #"{"token": "a",}"#,
        #"{"token": "a"}x"#,
        #"{"token": "a"} {}"#,
        #"{"token": null}"#,
        #"{"token": 1}"#,
        #"{"token": ["a"]}"#,
        #"{"": "a"}"#,
        #"{'token': 'a'}"#,
        #"{"token" "a"}"#,
        #"["token", "a"]"#,
        "{\"token\": \"a\"}\u{0}",
        "\u{FEFF}{\"token\": \"a\"}",
        #"{"token": "a"#,
        "",
    ])
    func anyOtherBodyIsLeftToJSONSerialization(body: String) {
        let bytes = Array(body.utf8)
        #expect(RequestFields.oneTokenMember(bytes) == nil)
        #expect(RequestFields.json(bytes) == RequestFields.serialization(bytes))
    }

    /// Bodies one to three byte edits away from a token body, 5,000 of them: every one
    /// reads as `JSONSerialization` reads it (or is refused as it refuses it).
    @Test func editedTokenBodiesReadAsJSONSerializationReadsThem() {
        var generator = SeededGenerator(seed: 0x6A73_6F6E)
        let original = Array(#"{"token": "\#(Self.token)"}"#.utf8)
        let bytes: [UInt8] = Array(#"{}[]":,\ .-_aZ09nu"#.utf8) + [0x09, 0x0A, 0x0D, 0x00, 0xC3, 0xA9, 0xFF]
        var fastPath = 0
        for _ in 0..<5_000 {
            var body = original
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0...body.count, using: &generator)
                let byte = bytes.randomElement(using: &generator)!
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: body.insert(byte, at: index)
                case 1 where index < body.count: body[index] = byte
                default: if index < body.count { body.remove(at: index) }
                }
            }
            if RequestFields.oneTokenMember(body) != nil { fastPath += 1 }
            #expect(RequestFields.json(body) == RequestFields.serialization(body), "\(String(decoding: body, as: UTF8.self))")
        }
        // Both kinds were tried: bodies read the short way and bodies left to JSONSerialization.
        #expect(fastPath > 100 && fastPath < 4_900)
    }
}
