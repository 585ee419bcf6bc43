import HTTPTypes
public import Hummingbird
public import Logging

/// One log line per request, at `info`: its request id, method, route template (never the
/// raw path, which may carry anything), status and duration. The id is the client's
/// `X-Request-Id` when it is a sane one (1 to 128 of `A-Z a-z 0-9 . _ : -`), else the one
/// Hummingbird made; it is answered in `X-Request-Id` and carried, as the logger's
/// `hb.request.id`, by every other line the request logs. Nothing from the body or the other headers is logged, so neither passwords nor
/// tokens nor keys can reach the log.
public struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        // Hummingbird's id is rendered once, here, and the logger keeps the text.
        let id = request.headers[.requestID].flatMap(Self.acceptable) ?? context.id
        context.logger[metadataKey: "hb.request.id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = id
            Self.log(request, context, status: response.status.code, since: started)
            return response
        } catch var error as APIError {
            error.headers[.requestID] = id
            Self.log(request, context, status: error.status.code, since: started)
            throw error
        } catch {
            Self.log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    private static func log(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - started).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(context.endpointPath ?? "unmatched"),
                "status": .stringConvertible(status),
                "duration_ms": .stringConvertible((milliseconds * 1000).rounded() / 1000),
            ]
        )
    }

    /// A client's request id, when it is short and made of characters that are safe in any log format.
    static func acceptable(_ id: String) -> String? {
        guard (1...128).contains(id.utf8.count),
            id.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                    true
                default: false
                }
            })
        else { return nil }
        return id
    }
}

extension HTTPField.Name {
    /// `X-Request-Id`: one request's id, in the log lines of every service it crosses.
    static let requestID = HTTPField.Name("X-Request-Id")!
}
