import Foundation
import HTTPTypes
public import Hummingbird
public import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Which address a request comes from, for the throttles (contract section 7): the TCP
/// peer, unless the peer is a trusted proxy; then the rightmost address of
/// `X-Forwarded-For` that is not itself a trusted proxy. `X-Forwarded-For` from anyone
/// else is ignored, so a client cannot pick its own address.
public struct ClientAddress: Sendable {
    /// An address block, `192.0.2.0/24` or `2001:db8::/32` (a bare address is a block of one).
    public struct Network: Sendable, Hashable, CustomStringConvertible {
        let bytes: [UInt8]
        let prefix: Int

        /// Parses CIDR notation; `nil` for anything else.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = ClientAddress.bytes(String(parts[0])) else { return nil }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...bytes.count * 8).contains(prefix) else { return nil }
            self.bytes = bytes
            self.prefix = prefix
        }

        /// Whether `address` (4 or 16 bytes) lies in the block.
        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == self.bytes.count else { return false }
            var bits = self.prefix
            for (a, b) in zip(address, self.bytes) where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                guard a & mask == b & mask else { return false }
                bits -= 8
            }
            return true
        }

        public var description: String { "\(ClientAddress.text(self.bytes))/\(self.prefix)" }
    }

    /// The proxies whose `X-Forwarded-For` is believed.
    public let trustedProxies: [Network]

    public init(trustedProxies: [Network] = []) {
        self.trustedProxies = trustedProxies
    }

    /// Parses a comma-separated list of blocks (`GATEHOUSE_TRUSTED_PROXIES`).
    /// - Throws: ``InvalidNetwork`` naming the first entry that is not one.
    public static func networks(_ list: [String]) throws(InvalidNetwork) -> [Network] {
        var networks: [Network] = []
        for entry in list.flatMap({ $0.split(separator: ",") }) {
            let text = entry.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let network = Network(text) else { throw InvalidNetwork(text: text) }
            networks.append(network)
        }
        return networks
    }

    /// The address `request` is counted by.
    public func of(_ request: Request, peer: SocketAddress?) -> String {
        guard let peerText = peer?.ipAddress else { return "unknown" }
        guard let peerBytes = Self.bytes(peerText) else { return peerText }
        guard self.isTrusted(peerBytes) else { return Self.text(peerBytes) }
        let forwarded = request.headers[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for entry in forwarded.reversed() {
            guard let bytes = Self.bytes(entry) else { return entry }
            if !self.isTrusted(bytes) { return Self.text(bytes) }
        }
        // Every hop is a trusted proxy: the first one is as far as the chain tells.
        return forwarded.first.flatMap { Self.bytes($0).map(Self.text) } ?? Self.text(peerBytes)
    }

    private func isTrusted(_ address: [UInt8]) -> Bool {
        self.trustedProxies.contains { $0.contains(address) }
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address (IPv4-mapped IPv6 as IPv4; brackets
    /// allowed around IPv6); `nil` for anything else.
    static func bytes(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, String(text), &v4) == 1 { return v4 }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, String(text), &bytes) == 1 else { return nil }
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes.suffix(4)) }
        return bytes
    }

    /// The canonical text of 4 or 16 address bytes, so one client has one spelling.
    static func text(_ bytes: [UInt8]) -> String {
        // INET6_ADDRSTRLEN: the longest IPv6 text with its terminating NUL.
        var buffer = [CChar](repeating: 0, count: 46)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, UInt32(buffer.count)) }
        guard written != nil else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A trusted proxy that is not an address block.
public struct InvalidNetwork: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String

    public init(text: String) {
        self.text = text
    }

    public var description: String { "not an address or CIDR block: \(self.text)" }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`: the addresses a request passed through, appended by each proxy.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
