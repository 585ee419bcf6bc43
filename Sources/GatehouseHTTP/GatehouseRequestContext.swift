public import Foundation
public import Hummingbird
public import NIOCore

/// The request context of every route: the client's address, and JSON answers without
/// escaped slashes, so issuer URLs read as they are.
public struct GatehouseRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address, for `throttle_anon`.
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    public var responseEncoder: JSONEncoder {
        Self.encoder
    }

    /// One encoder for every answer: its settings never change after this, and making one
    /// per response showed up on the hot paths.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}
