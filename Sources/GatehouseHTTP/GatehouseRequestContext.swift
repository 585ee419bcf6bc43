public import Foundation
public import Hummingbird

/// The request context of every route: JSON answers without escaped slashes, so issuer URLs
/// read as they are.
public struct GatehouseRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
