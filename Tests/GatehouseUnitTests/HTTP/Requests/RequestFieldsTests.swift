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
