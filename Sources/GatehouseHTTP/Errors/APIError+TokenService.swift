import GatehouseCore
import HTTPTypes

extension APIError {
    /// 401 `no_active_account`: wrong username or password, or an inactive user.
    static let noActiveAccount = APIError(
        .unauthorized,
        code: "no_active_account",
        detail: "No active account found with the given credentials",
        headers: [.wwwAuthenticate: "Bearer realm=\"api\""]
    )

    /// 401 `not_authenticated`: no usable `Authorization` header.
    static let notAuthenticated = APIError(
        .unauthorized,
        code: "not_authenticated",
        detail: "Authentication credentials were not provided.",
        headers: [.wwwAuthenticate: "Bearer realm=\"api\""]
    )

    /// 404 `not_found`: the same for an unknown tenant and an unknown environment.
    static let realmNotFound = APIError(.notFound, code: "not_found", detail: "Not found.")

    /// 429 `throttled`, with `Retry-After`.
    static func throttled(retryAfter: Int) -> APIError {
        APIError(
            .tooManyRequests,
            code: "throttled",
            detail: "Request was throttled. Expected available in \(retryAfter) seconds.",
            headers: [.retryAfter: "\(retryAfter)"]
        )
    }

    /// The answer to a failure of the token service.
    init(_ failure: TokenService.Failure) {
        switch failure {
        case .noActiveAccount:
            self = .noActiveAccount
        case .token(let error):
            self.init(.unauthorized, code: "token_not_valid", detail: error.detail, headers: [.wwwAuthenticate: "Bearer realm=\"api\""])
        case .notOwnToken:
            self.init(.badRequest, code: "invalid_request", detail: "invalid token")
        case .invalidField(let name, let reason):
            self.init(.badRequest, code: "invalid_request", detail: "Invalid request.", fields: [name: [reason]])
        case .throttled(let retryAfter):
            self = .throttled(retryAfter: retryAfter)
        }
    }
}
