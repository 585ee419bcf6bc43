import GatehouseCore
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// Turns every error into the contract's JSON answer: the admin service's and the token
/// service's refusals into theirs, routing and size errors into their
/// 4xx, an unreachable database into 503, and anything unexpected into a 500 that is logged
/// (a bug: nothing a client sends should get there).
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as AdminError {
            throw APIError(error)
        } catch let failure as TokenService.Failure {
            throw APIError(failure)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "too_large", detail: "Request body is too large.")
        } catch let error as HTTPError {
            throw Self.apiError(for: error)
        } catch let error as any StorageFailure where error.isUnavailable {
            context.logger.warning("database unavailable", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw APIError.unavailable
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw APIError(.internalServerError, code: "internal_error", detail: "Internal server error.")
        }
    }

    static func apiError(for error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: APIError(.notFound, code: "not_found", detail: "Not found.")
        case .methodNotAllowed: APIError(.methodNotAllowed, code: "method_not_allowed", detail: "Method not allowed.")
        case .contentTooLarge: APIError(.contentTooLarge, code: "too_large", detail: "Request body is too large.")
        case .unsupportedMediaType:
            APIError(.unsupportedMediaType, code: "unsupported_media_type", detail: "Unsupported media type.")
        default:
            APIError(error.status, code: "invalid_request", detail: error.body ?? error.status.reasonPhrase)
        }
    }
}
