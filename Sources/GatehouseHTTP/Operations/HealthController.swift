public import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (the instance can serve: its
/// database answers).
public struct HealthController: Sendable {
    let ready: @Sendable () async -> Bool

    /// - Parameter ready: whether the instance can serve now; `/readyz` answers 503 when not.
    public init(ready: @escaping @Sendable () async -> Bool) {
        self.ready = ready
    }

    struct Status: ResponseEncodable {
        var status: String
    }

    /// Adds the routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/healthz") { _, _ in Status(status: "ok") }
        router.get("/readyz") { _, _ in
            guard await self.ready() else { throw APIError.unavailable }
            return Status(status: "ready")
        }
    }
}
