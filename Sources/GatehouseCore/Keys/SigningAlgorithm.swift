/// The algorithms a signing key may have (contract section 4).
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case es256 = "ES256"
    case eddsa = "EdDSA"
    case rs256 = "RS256"
    case hs256 = "HS256"

    /// Whether the key's public half is published in JWKS; an HMAC secret never is.
    public var isAsymmetric: Bool { self != .hs256 }
}
