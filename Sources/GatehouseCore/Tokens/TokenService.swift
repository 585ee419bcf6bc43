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
    private let database: PostgresClient
    private let hasher: PasswordHasher
    private let users: UserStore
    private let refreshTokens = RefreshTokenStore()
    private let audit = AuditLog()
    /// Failed logins per environment and username, to tell a burst (guessing) from typos.
    private let loginFailures = RateLimiter()
    /// At most one audit event per burst window and username.
    private let burstReports = RateLimiter()
    /// More failed logins than this, for one username, is a burst worth an audit event.
    private static let burstRate = ThrottleRate("5/min")!
    private static let burstReportRate = ThrottleRate("1/min")!

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

    /// Exchanges a refresh token for a new access token and, when rotation is on, a new
    /// refresh token; the old one is blacklisted when the realm says so. Presenting a
    /// token that was already rotated revokes its whole family.
    public func refresh(in realm: Realm, token: String) async throws -> Pair {
        let claims = try await self.verified(token, in: realm, expecting: .refresh)
        let settings = realm.settings
        let now = self.clock.now()
        if let revokedBefore = realm.revokedBefore, claims.issuedAt < revokedBefore {
            throw Failure.token(.revoked)
        }
        if settings.rotateRefreshTokens && settings.blacklistAfterRotation {
            return try await self.rotate(in: realm, claims: claims, now: now)
        }
        enum Outcome {
            case issued(Pair)
            case refused(TokenError)
        }
        let outcome: Outcome = try await self.database.withTransaction { connection in
            guard let known = try await self.refreshTokens.find(on: connection, realm: realm, jti: claims.jti), known.reason == nil else {
                return .refused(.revoked)
            }
            guard let user = try await self.activeUser(on: connection, realm: realm, claims: claims) else {
                return .refused(.revoked)
            }
            let access = try self.issueAccess(realm: realm, user: user, now: now)
            guard settings.rotateRefreshTokens else { return .issued(Pair(access: access, refresh: nil)) }
            let refresh = try await self.issueRefresh(
                on: connection,
                realm: realm,
                user: user,
                familyID: known.familyID,
                jti: UUID(),
                parent: claims.jti,
                now: now
            )
            return .issued(Pair(access: access, refresh: refresh))
        }
        switch outcome {
        case .issued(let pair): return pair
        case .refused(let error): throw Failure.token(error)
        }
    }

    /// Rotation with blacklisting (the default): one statement decides, and only a refused
    /// rotation costs a second look, to tell a replay (revoke the family) from the rest.
    private func rotate(in realm: Realm, claims: TokenClaims, now: Date) async throws -> Pair {
        let (refreshClaims, recorded) = self.standardClaims(
            .refresh,
            realm: realm,
            userID: claims.userID,
            jti: UUID(),
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        guard let owner = try await self.refreshTokens.rotate(database: self.database, realm: realm, old: claims, new: recorded) else {
            try await self.database.withTransaction { connection in
                try await self.revokeFamilyIfReplayed(on: connection, realm: realm, jti: claims.jti)
            }
            throw Failure.token(.revoked)
        }
        return Pair(
            access: try self.issueAccess(realm: realm, user: owner, now: now),
            refresh: try realm.codec.sign(.refresh, claims: refreshClaims, with: realm.ring.active)
        )
    }

    /// For a refresh token that was not outstanding: revokes its family when it is a replay
    /// of a rotated token outside the grace period. The database's clock judges the grace
    /// period against the instant it wrote at rotation, so a replay racing the rotation it
    /// loses to is a replay too.
    private func revokeFamilyIfReplayed(on connection: PostgresConnection, realm: Realm, jti: UUID) async throws {
        if let familyID = try await self.refreshTokens.replayedFamily(on: connection, realm: realm, jti: jti, grace: realm.settings.reuseGrace) {
            let revoked = try await self.refreshTokens.revokeFamily(on: connection, realm: realm, familyID: familyID)
            try await self.audit.record(
                on: connection,
                actor: .system,
                tenantID: realm.tenantID,
                action: "refresh.reuse",
                target: jti.uuidString.lowercased(),
                details: [
                    "environment": .string(realm.environmentSlug), "family_id": .string(familyID.uuidString.lowercased()),
                    "refresh_tokens_revoked": .number(Double(revoked)),
                ]
            )
        }
    }

    /// Counts a failed login; the first one past the burst rate is recorded in the audit log
    /// (the username, never the password). Recording is best effort: the client's answer
    /// does not depend on it.
    private func countLoginFailure(in realm: Realm, username: String) async {
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

    /// Checks a token of either type (SimpleJWT's verify): signature, expiry, type, blacklist,
    /// the user's revocation instant and whether the user is active.
    public func verify(in realm: Realm, token: String) async throws {
        let claims = try await self.verified(token, in: realm, expecting: nil)
        if claims.type == .refresh {
            let known = try await self.database.withConnection { try await self.refreshTokens.find(on: $0, realm: realm, jti: claims.jti) }
            guard let known, known.reason == nil else { throw Failure.token(.revoked) }
        }
        guard try await self.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
    }

    /// Blacklists a refresh token (SimpleJWT's blacklist endpoint).
    public func blacklist(in realm: Realm, token: String) async throws {
        let claims = try await self.verified(token, in: realm, expecting: .refresh)
        // A token revoked through a revocation instant is already as good as blacklisted.
        guard try await self.cachedActiveUser(realm: realm, claims: claims) != nil else { throw Failure.token(.revoked) }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .blacklisted)
        }
        guard revoked != nil else { throw Failure.token(.revoked) }
    }

    /// The user an access token speaks for, if it is valid and the user active and not revoked.
    public func authenticate(in realm: Realm, accessToken: String) async throws -> User {
        let claims = try await self.verified(accessToken, in: realm, expecting: .access)
        guard let user = try await self.cachedActiveUser(realm: realm, claims: claims) else { throw Failure.token(.revoked) }
        return user
    }

    /// Blacklists the caller's own refresh token.
    public func logout(in realm: Realm, user: User, refreshToken: String) async throws {
        guard let claims = try? await self.verified(refreshToken, in: realm, expecting: .refresh), claims.userID == user.id else {
            throw Failure.notOwnToken
        }
        let revoked = try await self.database.withConnection {
            try await self.refreshTokens.revoke(on: $0, realm: realm, jti: claims.jti, reason: .logout)
        }
        guard revoked != nil else { throw Failure.notOwnToken }
    }

    /// Verifies a token's signature and claims. An unknown `kid` waits for a copy of the
    /// realm read after the token arrived, in case another instance made the key a moment
    /// ago: such reads are shared by every request waiting for one and come at most ten a
    /// second per realm, so made-up kids cost no more than that and cannot crowd out the
    /// read a genuine new key needs.
    private func verified(_ token: String, in realm: Realm, expecting type: TokenType?) async throws -> TokenClaims {
        let arrived = ContinuousClock.now
        let now = self.clock.now()
        do {
            return try realm.verify(token, expecting: type, now: now)
        } catch .unknownKey {
            guard let reloaded = try await self.realms.realm(of: realm, loadedAfter: arrived) else { throw Failure.token(.invalid) }
            do {
                return try reloaded.verify(token, expecting: type, now: self.clock.now())
            } catch {
                throw Failure.token(error)
            }
        } catch {
            throw Failure.token(error)
        }
    }

    /// The token's user when active and not revoked since the token was issued, read from
    /// the database (inside a refresh's transaction).
    private func activeUser(on connection: PostgresConnection, realm: Realm, claims: TokenClaims) async throws -> User? {
        let found = try await self.users.find(
            on: connection,
            tenantID: realm.tenantID,
            id: claims.userID,
            environmentID: realm.environmentID
        )
        guard let (user, environmentRevocation) = found else { return nil }
        return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
    }

    /// ``activeUser(on:realm:claims:)`` through the user cache: no round trip when cached.
    private func cachedActiveUser(realm: Realm, claims: TokenClaims) async throws -> User? {
        if let (user, environmentRevocation) = self.userCache.lookup(
            tenant: realm.tenantID,
            user: claims.userID,
            environment: realm.environmentID
        ) {
            return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
        }
        let generation = self.userCache.generation
        let found: (user: User, environmentRevokedBefore: Date?)?
        do {
            found = try await self.database.withConnection { connection in
                try await self.users.find(
                    on: connection,
                    tenantID: realm.tenantID,
                    id: claims.userID,
                    environmentID: realm.environmentID
                )
            }
        } catch let error as PostgresError where error.isUnavailable {
            // The database is away: the copy from before the last periodic reload still holds.
            guard
                let (user, environmentRevocation) = self.userCache.staleLookup(
                    tenant: realm.tenantID,
                    user: claims.userID,
                    environment: realm.environmentID
                )
            else { throw error }
            return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
        }
        guard let (user, environmentRevocation) = found else { return nil }
        self.userCache.store(user, environment: realm.environmentID, environmentRevokedBefore: environmentRevocation, generation: generation)
        return Self.admits(user, environmentRevocation, realm: realm, claims: claims) ? user : nil
    }

    private static func admits(_ user: User, _ environmentRevocation: Date?, realm: Realm, claims: TokenClaims) -> Bool {
        guard user.isActive else { return false }
        for instant in [user.revokedBefore, realm.revokedBefore, environmentRevocation] {
            if let instant, claims.issuedAt < instant { return false }
        }
        return true
    }

    private func issueAccess(realm: Realm, user: User, now: Date) throws -> String {
        var claims = user.claims
        for reserved in ["token_type", "iss", "sub", "user_id", "exp", "iat", "jti", "aud", "nbf", "username", "role"] {
            claims.removeValue(forKey: reserved)
        }
        claims["username"] = .string(user.username)
        claims["role"] = .string(user.role)
        let standard = self.standardClaims(
            .access,
            realm: realm,
            userID: user.id,
            jti: UUID(),
            now: now,
            lifetime: realm.settings.accessTokenLifetime
        )
        claims.merge(standard.claims) { _, standard in standard }
        return try realm.codec.sign(.access, claims: claims, with: realm.ring.active)
    }

    private func issueRefresh(
        on connection: PostgresConnection,
        realm: Realm,
        user: User,
        familyID: UUID,
        jti: UUID,
        parent: UUID?,
        now: Date
    ) async throws -> String {
        let (claims, tokenClaims) = self.standardClaims(
            .refresh,
            realm: realm,
            userID: user.id,
            jti: jti,
            now: now,
            lifetime: realm.settings.refreshTokenLifetime
        )
        try await self.refreshTokens.record(on: connection, realm: realm, claims: tokenClaims, familyID: familyID, parent: parent)
        return try realm.codec.sign(.refresh, claims: claims, with: realm.ring.active)
    }

    private func standardClaims(
        _ type: TokenType,
        realm: Realm,
        userID: UUID,
        jti: UUID,
        now: Date,
        lifetime: Int
    ) -> (claims: [String: JSONValue], tokenClaims: TokenClaims) {
        // iat keeps milliseconds (RFC 7519 NumericDate allows fractions) so a revocation in
        // the same second as a login tells the two apart; exp stays whole seconds.
        let issuedAt = (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000
        let expiresAt = (now.timeIntervalSince1970 + Double(lifetime)).rounded(.down)
        var claims: [String: JSONValue] = [
            "token_type": .string(type.rawValue),
            "iss": .string(realm.issuer),
            "sub": .string(userID.uuidString.lowercased()),
            "user_id": .string(userID.uuidString.lowercased()),
            "iat": .number(issuedAt),
            "exp": .number(expiresAt),
            "jti": .string(jti.uuidString.lowercased()),
        ]
        if let audience = realm.settings.audience { claims["aud"] = .string(audience) }
        let tokenClaims = TokenClaims(
            type: type,
            userID: userID,
            jti: jti,
            issuedAt: Date(timeIntervalSince1970: issuedAt),
            expiresAt: Date(timeIntervalSince1970: expiresAt),
            kid: realm.ring.active.kid
        )
        return (claims, tokenClaims)
    }
}
