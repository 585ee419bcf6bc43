import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import Testing

/// The OpenAPI document: served, and complete.
@Suite(.timeLimit(.minutes(5))) struct OpenAPIControllerTests {
    /// `/t/:tenant/:environment/api/token` → `/t/{tenant}/{environment}/api/token`.
    static func template(_ path: String) -> String {
        let segments = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
        return "/" + segments.joined(separator: "/")
    }

    @Test func everyRouteOfTheRouterIsInTheDocumentAndNothingElse() async throws {
        try await TestDeployment.with { deployment in
            let router = GatehouseApplication.makeRouter(tokens: deployment.tokens, admin: deployment.admin)
            let routes = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \(Self.template($0.path.description))" })
            try await deployment.test { client in
                var root = client
                root.base = ""
                let answer = try await root.send(.get, "/openapi.json")
                #expect(answer.status == .ok)
                #expect(answer.json["openapi"]?.stringValue?.hasPrefix("3.1") == true)
                let paths = try #require(answer.json["paths"]?.objectValue)
                var documented: Set<String> = []
                for (path, item) in paths {
                    let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
                    for method in (item.objectValue ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                        documented.insert("\(method) \(trimmed)")
                    }
                }
                #expect(routes.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routes.subtracting(documented).sorted())")
                #expect(documented.subtracting(routes).isEmpty, "documented but not routed: \(documented.subtracting(routes).sorted())")
            }
        }
    }
}
