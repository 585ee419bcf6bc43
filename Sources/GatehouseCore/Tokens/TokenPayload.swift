import Foundation

/// The payload of the tokens Gatehouse issues and reads, every claim named once (contract
/// section 3): SimpleJWT's `token_type`, `user_id` and `jti`; the registered `iss`, `sub`,
/// `iat`, `exp`, `aud` and `nbf`; and on access tokens `username`, `role` and the user's
/// own claims. Optional throughout, since a token read back may lack any of them.
struct TokenPayload: Decodable, Sendable {
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
    enum Audience: Decodable, Sendable {
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

    /// The payload as compact JSON, the claims above in their order and then the user's
    /// own claims (keys sorted, reserved names left out), written directly: `JSONEncoder`
    /// had been about 6 % of an ES256 refresh's CPU.
    var jsonText: String {
        var text = "{"
        text.reserveCapacity(320)
        var first = true
        func member(_ name: String) {
            text += first ? "" : ","
            first = false
            JSONValue.quote(name, into: &text)
            text += ":"
        }
        func string(_ name: CodingKeys, _ value: String?) {
            guard let value else { return }
            member(name.rawValue)
            JSONValue.quote(value, into: &text)
        }
        func number(_ name: CodingKeys, _ value: Double?) {
            guard let value else { return }
            member(name.rawValue)
            JSONValue.write(value, into: &text)
        }
        string(.tokenType, self.tokenType)
        string(.iss, self.iss)
        string(.sub, self.sub)
        string(.userID, self.userID)
        number(.iat, self.iat)
        number(.exp, self.exp)
        number(.nbf, self.nbf)
        string(.jti, self.jti)
        switch self.aud {
        case .one(let one): string(.aud, one)
        case .many(let many):
            member(CodingKeys.aud.rawValue)
            JSONValue.array(many.map(JSONValue.string)).write(into: &text)
        case nil: break
        }
        string(.username, self.username)
        string(.role, self.role)
        number(.refreshExp, self.refreshExp)
        for (name, value) in JSONValue.sortedMembers(self.custom) where !Self.reservedNames.contains(name) {
            member(name)
            value.write(into: &text)
        }
        text += "}"
        return text
    }
}
