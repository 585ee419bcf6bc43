import Foundation
public import GatehousePostgres

/// The public API of a realm: SimpleJWT's obtain, refresh, verify, blacklist, logout and me.
public final class TokenService: Sendable {
    /// A failure the client is told about.
    public enum Failure: Error, Sendable, Equatable {
        /// Wrong username or password, or an inactive user (the same answer for each).
        case noActiveAccount
        /// The token was refused.
        case token(TokenError)
        /// A refresh token that is not the caller's (logout).
        case notOwnToken
        /// A field the client sent cannot be used; nothing was looked up or hashed.
        case invalidField(name: String, reason: String)
        /// Too many requests; try again after this many seconds.
        case throttled(retryAfter: Int)
    }

    /// An issued pair; `refresh` is `nil` when a refresh does not rotate.
    public struct Pair: Sendable {
        public var access: String
        public var refresh: String?
    }

    public let realms: RealmDirectory
    /// The users whose state verify and me read without a database round trip.
    public let userCache: UserCache
    /// The database's clock: `iat`, `exp` and every check of them.
    public let clock: DatabaseClock
    /// The realms' throttles, shared by every instance on the database.
    public let throttle: SharedThrottle
    let database: PostgresClient
    let hasher: PasswordHasher
    let users: UserStore
    let refreshTokens = RefreshTokenStore()
    let audit = AuditLog()
    /// Failed logins per environment and username, to tell a burst (guessing) from typos.
    let loginFailures = RateLimiter()
    /// At most one audit event per burst window and username.
    let burstReports = RateLimiter()
    /// More failed logins than this, for one username, is a burst worth an audit event.
    static let burstRate = ThrottleRate("5/min")!
    static let burstReportRate = ThrottleRate("1/min")!

    /// - Parameters:
    ///   - database: where users and refresh tokens are.
    ///   - realms: the realms, cached.
    ///   - userCache: the users' state, cached; keep it current with a ``ChangeFeed``.
    ///   - hasher: checks passwords.
    ///   - clock: the database's clock; keep it synchronized (the ``Scheduler`` does).
    public init(
        database: PostgresClient,
        realms: RealmDirectory,
        userCache: UserCache,
        hasher: PasswordHasher,
        clock: DatabaseClock = DatabaseClock()
    ) {
        self.database = database
        self.realms = realms
        self.userCache = userCache
        self.hasher = hasher
        self.clock = clock
        self.throttle = SharedThrottle(database: database, clock: clock)
        self.users = UserStore(database: database)
    }

    /// Whether this instance can serve: its database answers.
    public func isReady() async -> Bool {
        (try? await self.database.query("SELECT 1")) != nil
    }

    /// Logs a user in: a new access token and a new refresh token family. A username the
    /// schema cannot hold is refused before any lookup or hash.
    public func obtainPair(in realm: Realm, username: String, password: String) async throws -> Pair {
        guard User.isStorableUsername(username) else {
            throw Failure.invalidField(
                name: "username",
                reason: username.containsNUL
                    ? "Null characters are not allowed."
                    : "Ensure this field has no more than \(User.maximumUsernameLength) characters."
            )
        }
        // `throttle_login_user`: an attempt is reserved before the hash and given back on
        // success, so only failures count, and concurrent guesses cannot pass it together.
        let attempts = realm.settings.throttleLoginUser.map { (ThrottleKey("login_user", realm.tenantID.uuidString, username), $0) }
        if let (key, rate) = attempts, let retryAfter = await self.throttle.admit(key, tenant: realm.tenantID, rate: rate) {
            throw Failure.throttled(retryAfter: retryAfter)
        }
        let user = try await self.users.find(tenantID: realm.tenantID, username: username)
        let check = try await self.hasher.check(password, against: user?.passwordHash)
        guard case .match(let needsRehash) = check, let user, user.isActive else {
            await self.countLoginFailure(in: realm, username: username)
            throw Failure.noActiveAccount
        }
        let rehashed = needsRehash ? try await self.hasher.hash(password) : nil
        let pair = try await self.issuePair(in: realm, for: user, rehashedPassword: rehashed)
        if let (key, rate) = attempts { self.throttle.giveBack(key, rate: rate) }
        return pair
    }

    /// Issues a pair to a user whose credentials were checked against `user.passwordHash`:
    /// a new refresh token family, recorded, and `last_login` updated when the realm says
    /// so; refused when the user's hash or state changed meanwhile.
    /// - Parameters:
    ///   - realm: where the tokens are valid.
    ///   - user: who they speak for, as read before the password was checked.
    ///   - rehashedPassword: a new hash to store for the user's password, if any; it only
    ///     replaces the hash it was computed from.
    public func issuePair(in realm: Realm, for user: User, rehashedPassword rehashed: String? = nil) async throws -> Pair {
        let now = self.clock.now()
        let (refreshClaims, refreshTokenClaims) = self.standardClaims(
            .refresh,
            realm: realm,
            userID: user.id,
            jti: UUID(),
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        let recorded = try await self.refreshTokens.recordLogin(
            database: self.database,
            realm: realm,
            claims: refreshTokenClaims,
            checkedHash: user.passwordHash,
            updateLastLogin: realm.settings.updateLastLogin,
            rehashedPassword: rehashed
        )
        // A new password or a deactivation came first: the checked password is stale.
        guard recorded else { throw Failure.noActiveAccount }
        return Pair(
            access: try self.issueAccess(realm: realm, user: user, now: now),
            refresh: try realm.codec.sign(.refresh, claims: refreshClaims, with: realm.ring.active)
        )
    }

    /// Counts a failed login; the first one past the burst rate is recorded in the audit log
    /// (the username, never the password). Recording is best effort: the client's answer
    /// does not depend on it.
    func countLoginFailure(in realm: Realm, username: String) async {
        let key = ThrottleKey("login_failures", realm.environmentID.uuidString, username)
        let now = self.clock.now()
        guard self.loginFailures.admit(key, rate: Self.burstRate, now: now) != nil,
            self.burstReports.admit(key, rate: Self.burstReportRate, now: now) == nil
        else { return }
        try? await self.database.withConnection { connection in
            try await self.audit.record(
                on: connection,
                actor: .system,
                tenantID: realm.tenantID,
                action: "login.failure_burst",
                target: username,
                details: [
                    "environment": .string(realm.environmentSlug), "failures": .number(Double(Self.burstRate.requests + 1)),
                    "window_seconds": .number(Double(Self.burstRate.period)),
                ]
            )
        }
    }
}
