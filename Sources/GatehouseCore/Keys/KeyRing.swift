public import JWTKit

/// The keys of one environment, ready to use: an immutable snapshot, so that verifying a
/// token is a dictionary lookup and a signature check with no lock or actor in the way.
public struct KeyRing: Sendable {
    /// A usable key.
    public struct Key: Sendable {
        public let kid: String
        public let algorithm: SigningAlgorithm
        public let state: KeyState
        /// jwt-kit's signer; it verifies too.
        public let signer: any JWTAlgorithm
        /// The header segment of the access tokens this key signs, made once.
        let accessHeader: String
        /// The header segment of the refresh and sliding tokens this key signs, made once.
        let otherHeader: String

        public init(kid: String, algorithm: SigningAlgorithm, state: KeyState, signer: any JWTAlgorithm) throws {
            self.kid = kid
            self.algorithm = algorithm
            self.state = state
            self.signer = signer
            self.accessHeader = try TokenHeader(alg: algorithm.rawValue, typ: TokenType.access.headerType, kid: kid).segment()
            self.otherHeader = try TokenHeader(alg: algorithm.rawValue, typ: TokenType.refresh.headerType, kid: kid).segment()
        }

        /// The first segment of the tokens of `type` that this key signs.
        func headerSegment(for type: TokenType) -> String {
            type == .access ? self.accessHeader : self.otherHeader
        }
    }

    /// The key that signs new tokens.
    public let active: Key
    /// The keys that verify tokens: the active one and the retiring ones.
    private let verifying: [String: Key]
    /// The public JWKs of the `next`, `active` and `retiring` asymmetric keys.
    public let published: [[String: JSONValue]]

    /// - Parameters:
    ///   - keys: the environment's `next`, `active` and `retiring` keys; exactly one active.
    ///   - published: their public JWKs.
    public init(keys: [Key], published: [[String: JSONValue]]) throws {
        guard let active = keys.first(where: { $0.state == .active }) else {
            throw KeyError(message: "the key ring has no active key")
        }
        self.active = active
        self.verifying = Dictionary(
            keys.filter { $0.state == .active || $0.state == .retiring }.map { ($0.kid, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        self.published = published
    }

    /// The key that verifies tokens with this `kid`; `nil` for an unknown, `next`, retired or
    /// revoked one. Never a fallback to some default key.
    public func verificationKey(kid: String) -> Key? {
        self.verifying[kid]
    }

    /// The verifying key whose own header `segment` is, byte for byte, and the type of
    /// token it names (for refresh and sliding tokens, whose headers are alike, `.refresh`):
    /// what decoding that header would find, without decoding it.
    func key(signingHeader segment: some Collection<UInt8>) -> (Key, TokenType)? {
        for key in self.verifying.values {
            if segment.elementsEqual(key.accessHeader.utf8) { return (key, .access) }
            if segment.elementsEqual(key.otherHeader.utf8) { return (key, .refresh) }
        }
        return nil
    }
}
