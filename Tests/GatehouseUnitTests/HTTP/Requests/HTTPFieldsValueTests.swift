import HTTPTypes
import Testing

@testable import GatehouseHTTP

/// A field's value reads as `HTTPFields`' own subscript reads it, however often the field occurs.
@Suite struct HTTPFieldsValueTests {
    @Test(arguments: [
        [],
        [("Content-Type", "application/json")],
        [("Accept", "*/*"), ("content-type", "text/plain; charset=utf-8"), ("Accept", "a")],
        [("Content-Type", "application/json"), ("Accept", "a"), ("Content-Type", "text/plain")],
        [("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
        [("Cookie", "a=1"), ("Cookie", "b=2")],
        [("Content-Type", "")],
    ])
    func aFieldReadsAsTheSubscriptReadsIt(fields: [(String, String)]) throws {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPField(name: try #require(HTTPField.Name(name)), value: value)) }
        for name in [HTTPField.Name.contentType, .authorization, .cookie, .accept] {
            #expect(headers.value(of: name) == headers[name], "\(name)")
        }
    }
}
