import Foundation

/// A token's JOSE header: the algorithm, the type (``TokenType/headerType``) and the key id.
struct TokenHeader: Codable {
    var alg: String
    var typ: String?
    var kid: String?
    /// Whether the header names critical extensions (RFC 7515 §4.1.11): this service
    /// understands none, so such a token is refused.
    var hasCritical = false

    enum CodingKeys: String, CodingKey {
        case alg, typ, kid, crit
    }

    init(alg: String, typ: String?, kid: String?) {
        self.alg = alg
        self.typ = typ
        self.kid = kid
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.alg = try container.decode(String.self, forKey: .alg)
        self.typ = try container.decodeIfPresent(String.self, forKey: .typ)
        self.kid = try container.decodeIfPresent(String.self, forKey: .kid)
        self.hasCritical = container.contains(.crit)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.alg, forKey: .alg)
        try container.encodeIfPresent(self.typ, forKey: .typ)
        try container.encodeIfPresent(self.kid, forKey: .kid)
    }

    /// The header as the first segment of a compact JWS (base64url of its JSON), its keys
    /// sorted: every instance writes the same key's header the same way, so that
    /// ``KeyRing/key(signingHeader:)`` knows the headers of tokens any of them issued.
    func segment() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return Base64URL.encode(try encoder.encode(self))
    }
}
