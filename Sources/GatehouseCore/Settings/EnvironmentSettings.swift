import Foundation

/// The token settings of an environment (contract section 4), SimpleJWT's names in lower case.
///
/// An environment stores only the values that differ from the defaults; ``applying(_:)``
/// validates such overrides and names the field of the first bad one.
public struct EnvironmentSettings: Sendable, Hashable {
    public var accessTokenLifetime: Duration = .seconds(900)
    public var refreshTokenLifetime: Duration = .seconds(1_209_600)
    public var rotateRefreshTokens = true
    public var blacklistAfterRotation = true
    public var updateLastLogin = true
    public var algorithm = SigningAlgorithm.es256
    /// Clock skew tolerated on `exp`, `iat` and `nbf`.
    public var leeway: Duration = .seconds(30)
    public var audience: String?
    public var authHeaderTypes = ["Bearer"]
    public var throttleAnon: ThrottleRate? = ThrottleRate("20/min")
    public var throttleUser: ThrottleRate? = ThrottleRate("1000/hour")
    /// Failed logins per (tenant, username), from any address.
    public var throttleLoginUser: ThrottleRate? = ThrottleRate("10/min")
    /// How long after its rotation a refresh token may be presented again without counting as a replay.
    public var reuseGrace: Duration = .zero
    /// How long a key signs before the scheduler replaces it; `nil`: only operators rotate.
    public var keyRotationPeriod: Duration?
    /// How long before its activation a scheduled key is published as `next`, so every
    /// verifier knows it before the first token it signs.
    public var keyPublishAhead: Duration = .seconds(3600)
    /// Cookie mode (contract section 7): the refresh token travels in an HttpOnly cookie,
    /// each use of it checked against a CSRF cookie.
    public var refreshCookie = false
    /// The exact origins (`scheme://host[:port]`) a browser may call the realm from.
    public var corsAllowedOrigins: [String] = []
    /// Whether the sliding-token endpoints answer.
    public var slidingTokens = false
    public var slidingTokenLifetime: Duration = .seconds(300)
    /// How long after the first login a sliding token may still be refreshed.
    public var slidingTokenRefreshLifetime: Duration = .seconds(86_400)

    public init() {}

    /// The settings an environment has stored: its overrides applied to the defaults. The
    /// admin API validates overrides before storing them, so this falls back to the
    /// defaults only for a row written around it.
    public init(stored overrides: [String: JSONValue]) {
        self = (try? EnvironmentSettings().applying(overrides)) ?? EnvironmentSettings()
    }

    /// How long a key that stopped signing may still have valid tokens: the longest token
    /// lifetime plus the leeway. A retiring key stays in the ring that long.
    public var keyRetention: Duration {
        self.longestLifetime + self.leeway
    }

    /// How long after its issue any token of this environment can still be accepted: the
    /// longest lifetime plus the largest leeway a setting may ever allow (a leeway raised
    /// later must not revive a token whose revocation was forgotten).
    public var longestTokenValidity: Duration {
        self.longestLifetime + .seconds(Self.maximumLeeway)
    }

    /// The names a client may set.
    public static let names: Set<String> = [
        "access_token_lifetime", "refresh_token_lifetime", "rotate_refresh_tokens", "blacklist_after_rotation",
        "update_last_login", "algorithm", "leeway", "audience", "auth_header_types", "throttle_anon", "throttle_user",
        "throttle_login_user", "reuse_grace", "key_rotation_period", "key_publish_ahead", "refresh_cookie",
        "cors_allowed_origins", "sliding_tokens", "sliding_token_lifetime", "sliding_token_refresh_lifetime",
    ]

    /// The longest life any token of this environment has: access, refresh, or sliding when
    /// the environment issues them.
    private var longestLifetime: Duration {
        max(self.accessTokenLifetime, self.refreshTokenLifetime, self.slidingTokens ? self.slidingTokenLifetime : .zero)
    }

    /// The throttles, which only a global admin key may switch off: they guard what all
    /// tenants share (the hashing threads, the database).
    public static let throttleNames: Set<String> = ["throttle_anon", "throttle_user", "throttle_login_user"]

    /// Upper bounds, so that no tenant can make tokens live for years or keys linger in
    /// every ring: one day for access tokens (SimpleJWT's default is five minutes), a year
    /// for refresh tokens and key rotation, five minutes of leeway and reuse grace, thirty
    /// days of publishing ahead.
    static let maximumAccessTokenLifetime = 86_400
    static let maximumRefreshTokenLifetime = 365 * 86_400
    static let maximumLeeway = 300
    static let maximumReuseGrace = 300
    static let maximumKeyRotationPeriod = 365 * 86_400
    static let maximumKeyPublishAhead = 30 * 86_400

    /// These settings with `overrides` applied.
    /// - Throws: ``SettingsError`` naming the first unknown name or bad value.
    public func applying(_ overrides: [String: JSONValue]) throws(SettingsError) -> EnvironmentSettings {
        var settings = self
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            switch name {
            case "access_token_lifetime":
                settings.accessTokenLifetime = try Self.seconds(value, name, 1...Self.maximumAccessTokenLifetime)
            case "refresh_token_lifetime":
                settings.refreshTokenLifetime = try Self.seconds(value, name, 1...Self.maximumRefreshTokenLifetime)
            case "rotate_refresh_tokens":
                settings.rotateRefreshTokens = try Self.bool(value, name)
            case "blacklist_after_rotation":
                settings.blacklistAfterRotation = try Self.bool(value, name)
            case "update_last_login":
                settings.updateLastLogin = try Self.bool(value, name)
            case "algorithm":
                guard let text = value.stringValue, let algorithm = SigningAlgorithm(rawValue: text) else {
                    throw SettingsError(field: name, reason: "must be one of ES256, EdDSA, RS256, HS256")
                }
                settings.algorithm = algorithm
            case "leeway":
                settings.leeway = try Self.seconds(value, name, 0...Self.maximumLeeway)
            case "audience":
                if case .null = value {
                    settings.audience = nil
                } else if let audience = value.stringValue, (1...256).contains(audience.unicodeScalars.count) {
                    settings.audience = audience
                } else {
                    throw SettingsError(field: name, reason: "must be a string of 1 to 256 characters, or null")
                }
            case "auth_header_types":
                guard case .array(let items) = value, (1...8).contains(items.count),
                    case let types = items.compactMap(\.stringValue), types.count == items.count,
                    types.allSatisfy({ (1...32).contains($0.utf8.count) && !$0.contains(" ") })
                else {
                    throw SettingsError(field: name, reason: "must be a list of 1 to 8 words of at most 32 characters")
                }
                settings.authHeaderTypes = types
            case "throttle_anon":
                settings.throttleAnon = try Self.rate(value, name)
            case "throttle_user":
                settings.throttleUser = try Self.rate(value, name)
            case "throttle_login_user":
                settings.throttleLoginUser = try Self.rate(value, name)
            case "reuse_grace":
                settings.reuseGrace = try Self.seconds(value, name, 0...Self.maximumReuseGrace)
            case "key_rotation_period":
                if case .null = value {
                    settings.keyRotationPeriod = nil
                } else {
                    settings.keyRotationPeriod = try Self.seconds(value, name, 60...Self.maximumKeyRotationPeriod)
                }
            case "key_publish_ahead":
                settings.keyPublishAhead = try Self.seconds(value, name, 0...Self.maximumKeyPublishAhead)
            case "refresh_cookie":
                settings.refreshCookie = try Self.bool(value, name)
            case "cors_allowed_origins":
                settings.corsAllowedOrigins = try Self.origins(value, name)
            case "sliding_tokens":
                settings.slidingTokens = try Self.bool(value, name)
            case "sliding_token_lifetime":
                settings.slidingTokenLifetime = try Self.seconds(value, name, 1...Self.maximumAccessTokenLifetime)
            case "sliding_token_refresh_lifetime":
                settings.slidingTokenRefreshLifetime = try Self.seconds(value, name, 1...Self.maximumRefreshTokenLifetime)
            default:
                throw SettingsError(field: name, reason: "unknown setting")
            }
        }
        if let period = settings.keyRotationPeriod, settings.keyPublishAhead >= period {
            throw SettingsError(field: "key_publish_ahead", reason: "must be shorter than key_rotation_period")
        }
        return settings
    }

    /// The settings as JSON, every name with its effective value.
    public var json: [String: JSONValue] {
        [
            "access_token_lifetime": .number(self.accessTokenLifetime.timeInterval),
            "refresh_token_lifetime": .number(self.refreshTokenLifetime.timeInterval),
            "rotate_refresh_tokens": .bool(self.rotateRefreshTokens),
            "blacklist_after_rotation": .bool(self.blacklistAfterRotation),
            "update_last_login": .bool(self.updateLastLogin),
            "algorithm": .string(self.algorithm.rawValue),
            "leeway": .number(self.leeway.timeInterval),
            "audience": self.audience.map(JSONValue.string) ?? .null,
            "auth_header_types": .array(self.authHeaderTypes.map(JSONValue.string)),
            "throttle_anon": self.throttleAnon.map { .string($0.description) } ?? .null,
            "throttle_user": self.throttleUser.map { .string($0.description) } ?? .null,
            "throttle_login_user": self.throttleLoginUser.map { .string($0.description) } ?? .null,
            "reuse_grace": .number(self.reuseGrace.timeInterval),
            "key_rotation_period": self.keyRotationPeriod.map { .number($0.timeInterval) } ?? .null,
            "key_publish_ahead": .number(self.keyPublishAhead.timeInterval),
            "refresh_cookie": .bool(self.refreshCookie),
            "cors_allowed_origins": .array(self.corsAllowedOrigins.map(JSONValue.string)),
            "sliding_tokens": .bool(self.slidingTokens),
            "sliding_token_lifetime": .number(self.slidingTokenLifetime.timeInterval),
            "sliding_token_refresh_lifetime": .number(self.slidingTokenRefreshLifetime.timeInterval),
        ]
    }

    private static func seconds(_ value: JSONValue, _ name: String, _ range: ClosedRange<Int>) throws(SettingsError) -> Duration {
        guard let seconds = value.integerValue, range.contains(seconds) else {
            throw SettingsError(field: name, reason: "must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound)")
        }
        return .seconds(seconds)
    }

    /// The longest a sliding token refreshed at the last moment may live on, with any leeway.
    static var maximumTokenLifetimeAfterRefresh: Duration { .seconds(Self.maximumAccessTokenLifetime + Self.maximumLeeway) }

    private static func bool(_ value: JSONValue, _ name: String) throws(SettingsError) -> Bool {
        guard let bool = value.boolValue else { throw SettingsError(field: name, reason: "must be true or false") }
        return bool
    }

    private static func rate(_ value: JSONValue, _ name: String) throws(SettingsError) -> ThrottleRate? {
        if case .null = value { return nil }
        guard let text = value.stringValue, let rate = ThrottleRate(text) else {
            throw SettingsError(field: name, reason: "must be a rate such as \"20/min\" (at most \(ThrottleRate.maximumRequests) requests), or null")
        }
        return rate
    }
}

/// A setting with an unknown name or a bad value.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting's name.
    public var field: String
    public var reason: String

    public var description: String { "\(self.field): \(self.reason)" }
}
