import Foundation

/// The payload of the tokens Gatehouse issues and reads, every claim named once (contract
/// section 3): SimpleJWT's `token_type`, `user_id` and `jti`; the registered `iss`, `sub`,
/// `iat`, `exp`, `aud` and `nbf`; and on access tokens `username`, `role` and the user's
/// own claims. Optional throughout, since a token read back may lack any of them.
struct TokenPayload: Codable, Sendable {
    var tokenType: String?
    var iss: String?
    var sub: String?
    var userID: String?
    /// Whole seconds when issued here, as verifiers comparing it with a whole-second clock
    /// need; the instant to the millisecond is in ``jti`` (a version 7 UUID).
    var iat: Double?
    /// Whole seconds.
    var exp: Double?
    /// Never issued; honoured when read (RFC 7519 §4.1.5).
    var nbf: Double?
    var jti: String?
    var aud: Audience?
    var username: String?
    var role: String?
    /// Sliding tokens: until when they may be refreshed (SimpleJWT's `refresh_exp`).
    var refreshExp: Double?
    /// The user's own claims, on access tokens; a name above never comes from here.
    /// Verification reads back only the registered claims, `token_type` and `user_id`:
    /// `username`, `role` and these are the user's, read from the user's row.
    var custom: [String: JSONValue] = [:]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tokenType = "token_type"
        case iss, sub
        case userID = "user_id"
        case iat, exp, nbf, jti, aud, username, role
        case refreshExp = "refresh_exp"
    }

    /// The claim names a user's own claims may never take.
    static let reservedNames = Set(CodingKeys.allCases.map(\.rawValue))

    /// `aud`: one string or a list of them (RFC 7519 §4.1.3).
    enum Audience: Codable, Sendable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                self = .one(one)
            } else {
                self = .many(try container.decode([String].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .one(let one): try container.encode(one)
            case .many(let many): try container.encode(many)
            }
        }

        func contains(_ audience: String) -> Bool {
            switch self {
            case .one(let one): one == audience
            case .many(let many): many.contains(audience)
            }
        }
    }

    init(
        type: TokenType,
        issuer: String,
        userID: UUID,
        jti: UUID,
        issuedAt: Double,
        expiresAt: Double,
        audience: String?
    ) {
        let user = userID.uuidString.lowercased()
        self.tokenType = type.rawValue
        self.iss = issuer
        self.sub = user
        self.userID = user
        self.iat = issuedAt
        self.exp = expiresAt
        self.jti = jti.uuidString.lowercased()
        self.aud = audience.map(Audience.one)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.tokenType = try container.decodeIfPresent(String.self, forKey: .tokenType)
        self.iss = try container.decodeIfPresent(String.self, forKey: .iss)
        self.sub = try container.decodeIfPresent(String.self, forKey: .sub)
        self.userID = try container.decodeIfPresent(String.self, forKey: .userID)
        self.iat = try container.decodeIfPresent(Double.self, forKey: .iat)
        self.exp = try container.decodeIfPresent(Double.self, forKey: .exp)
        self.nbf = try container.decodeIfPresent(Double.self, forKey: .nbf)
        self.jti = try container.decodeIfPresent(String.self, forKey: .jti)
        self.aud = try container.decodeIfPresent(Audience.self, forKey: .aud)
        self.refreshExp = try container.decodeIfPresent(Double.self, forKey: .refreshExp)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ClaimName.self)
        for (name, value) in self.custom where !Self.reservedNames.contains(name) {
            try container.encode(value, forKey: ClaimName(name))
        }
        try container.encodeIfPresent(self.tokenType, forKey: ClaimName(CodingKeys.tokenType))
        try container.encodeIfPresent(self.iss, forKey: ClaimName(CodingKeys.iss))
        try container.encodeIfPresent(self.sub, forKey: ClaimName(CodingKeys.sub))
        try container.encodeIfPresent(self.userID, forKey: ClaimName(CodingKeys.userID))
        try container.encodeIfPresent(self.iat, forKey: ClaimName(CodingKeys.iat))
        try container.encodeIfPresent(self.exp, forKey: ClaimName(CodingKeys.exp))
        try container.encodeIfPresent(self.nbf, forKey: ClaimName(CodingKeys.nbf))
        try container.encodeIfPresent(self.jti, forKey: ClaimName(CodingKeys.jti))
        try container.encodeIfPresent(self.aud, forKey: ClaimName(CodingKeys.aud))
        try container.encodeIfPresent(self.username, forKey: ClaimName(CodingKeys.username))
        try container.encodeIfPresent(self.role, forKey: ClaimName(CodingKeys.role))
        try container.encodeIfPresent(self.refreshExp, forKey: ClaimName(CodingKeys.refreshExp))
    }

    /// Any claim name: the user's own claims beside the named ones.
    struct ClaimName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(_ name: String) { self.stringValue = name }
        init(_ key: CodingKeys) { self.stringValue = key.rawValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
