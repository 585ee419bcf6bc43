import GatehouseHTTP
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

/// The address a throttle counts: the peer, unless a trusted proxy forwarded the request.
@Suite(.timeLimit(.minutes(5))) struct ClientAddressTests {
    static func request(forwardedFor: [String]) -> Request {
        var head = HTTPRequest(method: .get, scheme: "http", authority: "gatehouse.test", path: "/")
        for value in forwardedFor { head.headerFields.append(HTTPField(name: HTTPField.Name("X-Forwarded-For")!, value: value)) }
        return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    }

    static func peer(_ address: String) throws -> SocketAddress {
        try SocketAddress(ipAddress: address, port: 40_000)
    }

    @Test func withoutTrustedProxiesForwardedForIsIgnored() throws {
        let addresses = ClientAddress()
        #expect(addresses.of(Self.request(forwardedFor: ["203.0.113.9"]), peer: try Self.peer("198.51.100.7")) == "198.51.100.7")
        #expect(addresses.of(Self.request(forwardedFor: []), peer: nil) == "unknown")
    }

    @Test func behindATrustedProxyTheRightmostUntrustedAddressCounts() throws {
        let addresses = ClientAddress(trustedProxies: try ClientAddress.networks(["10.0.0.0/8, 2001:db8::/32", "192.0.2.1"]))
        let proxy = try Self.peer("10.1.2.3")
        // The client's own X-Forwarded-For is on the left: a lie it cannot make count.
        #expect(addresses.of(Self.request(forwardedFor: ["1.1.1.1, 203.0.113.9"]), peer: proxy) == "203.0.113.9")
        // Hops through more trusted proxies, in one header or several.
        #expect(addresses.of(Self.request(forwardedFor: ["1.1.1.1, 203.0.113.9, 10.9.9.9", "192.0.2.1"]), peer: proxy) == "203.0.113.9")
        // IPv6 in its canonical spelling, and IPv4-mapped IPv6 as IPv4.
        #expect(addresses.of(Self.request(forwardedFor: ["2001:DB9:0::1"]), peer: proxy) == "2001:db9::1")
        #expect(addresses.of(Self.request(forwardedFor: ["::ffff:203.0.113.9"]), peer: proxy) == "203.0.113.9")
        #expect(addresses.of(Self.request(forwardedFor: ["1.1.1.1"]), peer: try Self.peer("2001:db8::5")) == "1.1.1.1")
        // No header: the proxy itself; only trusted hops: the first one.
        #expect(addresses.of(Self.request(forwardedFor: []), peer: proxy) == "10.1.2.3")
        #expect(addresses.of(Self.request(forwardedFor: ["10.5.5.5, 10.6.6.6"]), peer: proxy) == "10.5.5.5")
        // An untrusted peer's header is ignored even when it names a trusted proxy.
        #expect(addresses.of(Self.request(forwardedFor: ["203.0.113.9"]), peer: try Self.peer("198.51.100.7")) == "198.51.100.7")
    }

    @Test(arguments: ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129", "1.2.3"])
    func aBadTrustedProxyIsRefusedByName(entry: String) {
        #expect(throws: InvalidNetwork(text: entry)) { try ClientAddress.networks([entry]) }
    }
}
