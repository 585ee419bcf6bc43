import Foundation
public import GatehouseCore
import HTTPTypes
public import Hummingbird
import NIOCore

/// The public API of a realm under `/t/{tenant}/{env}`: SimpleJWT's paths, so a SimpleJWT
/// client moves over by changing its base URL.
public struct RealmController: Sendable {
    let tokens: TokenService
    let clientAddress: ClientAddress

    /// - Parameters:
    ///   - tokens: the realms' token service; its throttle counts the requests.
    ///   - clientAddress: tells which address a request comes from, through trusted proxies.
    public init(tokens: TokenService, clientAddress: ClientAddress) {
        self.tokens = tokens
        self.clientAddress = clientAddress
    }

    /// `{}`, written once: SimpleJWT's answer to verify and blacklist.
    static var empty: Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "{}"))
        )
    }

    /// A 200 answer whose body is a JSON object of these string members, in this order, a
    /// `nil` one left out: written directly, as `JSONEncoder` had been 2 % of a refresh's CPU.
    static func object(_ members: KeyValuePairs<String, String?>) -> Response {
        var body = "{"
        for (name, value) in members {
            guard let value else { continue }
            if body.utf8.count > 1 { body += "," }
            JSONValue.quote(name, into: &body)
            body += ":"
            JSONValue.quote(value, into: &body)
        }
        body += "}"
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// Adds the routes to `router`.
    public func register<Context: RemoteAddressRequestContext>(on router: Router<Context>) {
        let realm = router.group("t/:tenant/:environment")
        let api = realm.group("api")
        api.post("token") { request, context in
            let realm = try await self.realm(context)
            try await self.throttleAnonymous(realm, request, context)
            let fields = try await RequestFields.read(from: request)
            let values = try fields.strings("username", "password")
            let pair = try await self.tokens.obtainPair(in: realm, username: values[0], password: values[1])
            return Self.tokenAnswer(pair, realm)
        }
        api.post("token/refresh") { request, context in
            let realm = try await self.realm(context)
            try await self.throttleAnonymous(realm, request, context)
            let token = try await Self.refreshToken(request, realm)
            let pair = try await self.tokens.refresh(in: realm, token: token)
            return Self.tokenAnswer(pair, realm)
        }
        api.post("token/verify") { request, context -> Response in
            let realm = try await self.realm(context)
            try await self.throttleAnonymous(realm, request, context)
            let token = try await RequestFields.read(from: request).strings("token")[0]
            try await self.tokens.verify(in: realm, token: token)
            return Self.empty
        }
        api.post("token/blacklist") { request, context -> Response in
            let realm = try await self.realm(context)
            try await self.throttleAnonymous(realm, request, context)
            let token = try await Self.refreshToken(request, realm)
            try await self.tokens.blacklist(in: realm, token: token)
            return Self.empty
        }
        api.post("logout") { request, context -> Response in
            let realm = try await self.realm(context)
            let user = try await self.authenticate(request, realm: realm)
            try await self.throttle(realm, user: user)
            let fields = try await RequestFields.read(from: request)
            let body: String?
            do {
                body = try fields.optionalString("refresh")
            } catch {
                throw Self.refreshRequired
            }
            if let refresh = try RefreshCookies.refreshToken(body: body, request: request, realm: realm) {
                try await self.tokens.logout(in: realm, user: user, refreshToken: refresh)
            } else {
                // A sliding token logs itself out; anything else needs the refresh token.
                guard try await self.tokens.logoutSliding(in: realm, bearer: try Self.bearer(request, realm)) else { throw Self.refreshRequired }
            }
            var response = Response(status: .resetContent)
            if realm.settings.refreshCookie { RefreshCookies.expire(on: &response, realm: realm) }
            return response
        }
        api.post("token/sliding") { request, context in
            let realm = try await self.slidingRealm(context)
            try await self.throttleAnonymous(realm, request, context)
            let values = try await RequestFields.read(from: request).strings("username", "password")
            let token = try await self.tokens.obtainSliding(in: realm, username: values[0], password: values[1])
            return Self.slidingAnswer(token)
        }
        api.post("token/sliding/refresh") { request, context in
            let realm = try await self.slidingRealm(context)
            try await self.throttleAnonymous(realm, request, context)
            let token = try await RequestFields.read(from: request).strings("token")[0]
            return Self.slidingAnswer(try await self.tokens.refreshSliding(in: realm, token: token))
        }
        api.get("me") { request, context in
            let realm = try await self.realm(context)
            let user = try await self.authenticate(request, realm: realm)
            try await self.throttle(realm, user: user)
            return Self.object(["id": user.id.uuidString.lowercased(), "username": user.username, "role": user.role])
        }
        self.registerWellKnown(on: realm)
    }

    static let refreshRequired = APIError(
        .badRequest,
        code: "invalid_request",
        detail: "refresh required",
        fields: ["refresh": ["This field is required."]]
    )

    /// The refresh token of a refresh or blacklist request: the body's `refresh`, or in
    /// cookie mode the `gh_refresh` cookie (with the CSRF check).
    static func refreshToken(_ request: Request, _ realm: Realm) async throws -> String {
        let fields = try await RequestFields.read(from: request)
        let body = try fields.optionalString("refresh")
        guard let token = try RefreshCookies.refreshToken(body: body, request: request, realm: realm) else {
            _ = try fields.strings("refresh")  // the 400 naming the field
            throw Self.refreshRequired
        }
        return token
    }

    /// An answer carrying tokens, which no cache may keep (RFC 6749 §5.1, contract section 7).
    /// In cookie mode the refresh token goes into the cookies, and the body holds `access` only.
    static func tokenAnswer(_ pair: TokenService.Pair, _ realm: Realm) -> Response {
        let cookies = realm.settings.refreshCookie
        var response = Self.object(["access": pair.access, "refresh": cookies ? nil : pair.refresh])
        if cookies, let refresh = pair.refresh { RefreshCookies.set(refresh, on: &response, realm: realm) }
        Self.forbidCaching(&response)
        return response
    }

    /// RFC 6749 §5.1: no cache keeps an answer that carries a token.
    static func forbidCaching(_ response: inout Response) {
        response.headers[.cacheControl] = "no-store"
        response.headers[.pragma] = "no-cache"
    }

    /// A sliding token, which no cache may keep.
    static func slidingAnswer(_ token: String) -> Response {
        var response = Self.object(["token": token])
        Self.forbidCaching(&response)
        return response
    }

    /// The realm of the path when it has sliding tokens; 404 when it has not, as if the
    /// paths did not exist.
    private func slidingRealm(_ context: some RequestContext) async throws -> Realm {
        let realm = try await self.realm(context)
        guard realm.settings.slidingTokens else { throw APIError.realmNotFound }
        return realm
    }

    /// The realm of the path; the same 404 for an unknown tenant and an unknown environment.
    func realm(_ context: some RequestContext) async throws -> Realm {
        try await Self.realm(context, tokens: self.tokens)
    }

    /// The realm of the path `t/:tenant/:environment`; the same 404 for an unknown tenant and an unknown environment.
    static func realm(_ context: some RequestContext, tokens: TokenService) async throws -> Realm {
        guard let tenant = context.parameters.get("tenant"), let environment = context.parameters.get("environment"),
            let realm = try await tokens.realms.realm(tenant: tenant, environment: environment)
        else { throw APIError.realmNotFound }
        return realm
    }

    /// `throttle_anon`: requests without a user, counted by client address.
    func throttleAnonymous(_ realm: Realm, _ request: Request, _ context: some RemoteAddressRequestContext) async throws {
        guard let rate = realm.settings.throttleAnon else { return }
        let client = self.clientAddress.of(request, peer: context.remoteAddress)
        try await self.admit(ThrottleKey("anon", realm.environmentID.uuidString, client), realm: realm, rate: rate)
    }

    /// `throttle_user`: requests of an authenticated user, counted by user.
    private func throttle(_ realm: Realm, user: User) async throws {
        guard let rate = realm.settings.throttleUser else { return }
        try await self.admit(ThrottleKey("user", realm.environmentID.uuidString, user.id.uuidString), realm: realm, rate: rate)
    }

    private func admit(_ key: ThrottleKey, realm: Realm, rate: ThrottleRate) async throws {
        if let retryAfter = await self.tokens.throttle.admit(key, tenant: realm.tenantID, rate: rate) {
            throw APIError.throttled(retryAfter: retryAfter)
        }
    }

    /// The user of the request's bearer access token.
    private func authenticate(_ request: Request, realm: Realm) async throws -> User {
        try await self.tokens.authenticate(in: realm, accessToken: try Self.bearer(request, realm))
    }

    /// The token of the `Authorization` header, under one of the realm's `auth_header_types`.
    private static func bearer(_ request: Request, _ realm: Realm) throws -> String {
        guard let header = request.headers.value(of: .authorization) else { throw APIError.notAuthenticated }
        // Split as bytes: splitting the String walks a 400-character token grapheme by grapheme,
        // which was a sixth of the CPU that `me` costs.
        let parts = header.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard parts.count == 2, realm.settings.authHeaderTypes.contains(String(Substring(parts[0]))) else {
            throw APIError.notAuthenticated
        }
        return String(Substring(parts[1]))
    }
}
