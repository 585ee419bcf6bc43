import Foundation
public import GatehousePostgres

/// The public API of a realm: SimpleJWT's obtain, refresh, verify, blacklist, logout and me.
///
/// The front the controllers call; the work is done by one-job parts: ``TokenIssuer``
/// (claims and signatures), ``RefreshRotation`` (rotation and reuse), ``TokenVerifier``
/// (signatures, with reloads for unknown kids), ``UserAdmission`` (the user's state, cached)
/// and ``LoginGuard`` (login throttling and burst auditing).
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
    let slidingTokens = SlidingTokenStore()
    let issuer = TokenIssuer()
    let verifier: TokenVerifier
    let admission: UserAdmission
    let rotation: RefreshRotation
    let loginGuard: LoginGuard

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
        self.verifier = TokenVerifier(realms: realms, clock: clock)
        self.admission = UserAdmission(database: database, users: self.users, cache: userCache)
        self.rotation = RefreshRotation(
            database: database,
            refreshTokens: self.refreshTokens,
            groupCommit: RefreshGroupCommit(database: database, store: self.refreshTokens),
            issuer: self.issuer,
            admission: self.admission,
            audit: AuditLog()
        )
        self.loginGuard = LoginGuard(throttle: self.throttle, database: database, clock: clock, audit: AuditLog())
    }

    /// Whether this instance can serve: its database answers.
    public func isReady() async -> Bool {
        (try? await self.database.query("SELECT 1")) != nil
    }

    /// Logs a user in: a new access token and a new refresh token family. A username the
    /// schema cannot hold is refused before any lookup or hash.
    public func obtainPair(in realm: Realm, username: String, password: String) async throws -> Pair {
        let (user, rehashed, attempt) = try await self.checkCredentials(in: realm, username: username, password: password)
        let pair = try await self.issuePair(in: realm, for: user, rehashedPassword: rehashed)
        self.loginGuard.succeeded(attempt)
        return pair
    }

    /// A login's checks: the username storable, `throttle_login_user`, the password (the
    /// dummy hash for an unknown user), an active user. Returns the user, a new hash when the
    /// stored one needs it, and the throttle attempt to give back on success.
    func checkCredentials(in realm: Realm, username: String, password: String) async throws -> (User, String?, LoginGuard.Attempt?) {
        guard User.isStorableUsername(username) else {
            throw Failure.invalidField(
                name: "username",
                reason: username.containsNUL
                    ? "Null characters are not allowed."
                    : "Ensure this field has no more than \(User.maximumUsernameLength) characters."
            )
        }
        let attempt = try await self.loginGuard.admit(username, in: realm)
        let user = try await self.users.find(tenantID: realm.tenantID, username: username)
        let check = try await self.hasher.check(password, against: user?.passwordHash)
        guard case .match(let needsRehash) = check, let user, user.isActive else {
            await self.loginGuard.failed(username, in: realm)
            throw Failure.noActiveAccount
        }
        return (user, needsRehash ? try await self.hasher.hash(password) : nil, attempt)
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
        let (payload, recorded) = self.issuer.payload(
            .refresh,
            realm: realm,
            userID: user.id,
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        let refresh = try self.issuer.sign(.refresh, payload, realm: realm)
        let stored = try await self.refreshTokens.recordLogin(
            database: self.database,
            realm: realm,
            claims: recorded,
            digest: RefreshTokenStore.digest(of: refresh),
            checkedHash: user.passwordHash,
            updateLastLogin: realm.settings.updateLastLogin,
            rehashedPassword: rehashed
        )
        // A new password or a deactivation came first: the checked password is stale.
        guard stored else { throw Failure.noActiveAccount }
        return Pair(access: try self.issuer.access(realm: realm, user: user, now: now), refresh: refresh)
    }

    /// Exchanges a refresh token for a new access token and, when rotation is on, a new
    /// refresh token; the old one is blacklisted when the realm says so. Presenting a
    /// token that was already rotated revokes its whole family.
    ///
    /// With rotation and blacklisting (the default), a token whose header is one of the
    /// realm's own and whose claims pass is first matched by its digest, without checking
    /// its signature: the statement that spends its row requires the digest recorded when it
    /// was signed, so a match is the very token this tier signed. Anything else (a row
    /// written before digests were, a spent or forged token) is then checked as every token
    /// is, signature first, and only then may it be judged a replay.
    public func refresh(in realm: Realm, token: String) async throws -> Pair {
        let digest = RefreshTokenStore.digest(of: token)
        if let pair = try await self.rotation.refreshByDigest(in: realm, token: token, digest: digest, now: self.clock.now()) {
            return pair
        }
        let claims = try await self.verifier.verified(token, in: realm, expecting: .refresh)
        if let revokedBefore = realm.revokedBefore, claims.issuedAt < revokedBefore {
            throw Failure.token(.revoked)
        }
        return try await self.rotation.refresh(in: realm, claims: claims, digest: digest, now: self.clock.now())
    }
}
