public import Foundation
public import GatehouseCore
public import Hummingbird
public import NIOCore

/// The request context of every route: the client's address, the admin caller, and JSON answers without
/// escaped slashes, so issuer URLs read as they are.
public struct GatehouseRequestContext: RequestContext, RemoteAddressRequestContext, AdminRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address, for `throttle_anon`.
    public let remoteAddress: SocketAddress?
    /// The admin caller, on admin routes.
    public var adminActor: AdminActor?

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
