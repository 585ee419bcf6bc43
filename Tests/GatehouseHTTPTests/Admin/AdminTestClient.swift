import Foundation
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Testing

/// The admin API and a realm's API of a ``TestDeployment``, in process, with a global admin key.
struct AdminTestClient {
    let http: RealmTestClient
    let key: String

    /// A request to `/admin/v1{path}` with `key` (default: the global one).
    func call(_ method: HTTPRequest.Method, _ path: String, json: [String: JSONValue]? = nil, key: String? = nil) async throws -> Answer {
        var client = self.http
        client.base = "/admin/v1"
        return try await client.send(
            method,
            path,
            body: json.map { JSONValue.object($0).jsonText },
            contentType: json == nil ? nil : "application/json",
            bearer: key ?? self.key
        )
    }

    /// The realm API of `tenant/environment`.
    func realm(_ tenant: String = "demo", _ environment: String = "prod") -> RealmTestClient {
        var client = self.http
        client.base = "/t/\(tenant)/\(environment)"
        return client
    }
}

extension Answer {
    /// `items` of a list answer; any other answer throws, so "is empty" can never pass on an error.
    var items: [[String: JSONValue]] {
        get throws {
            guard self.status == .ok, case .array(let items) = self.json["items"] else { throw UnexpectedAnswer(self) }
            return items.compactMap(\.objectValue)
        }
    }
}

extension TestDeployment {
    /// Runs `body` with an admin client holding a new global admin key.
    func testAdmin<Result: Sendable>(_ body: @Sendable (AdminTestClient) async throws -> Result) async throws -> Result {
        let key = try await AdminAPIKeyStore(database: self.database).create(name: "tests", tenantID: nil)
        return try await self.test { http in try await body(AdminTestClient(http: http, key: key)) }
    }

    /// A tenant-scoped admin key.
    func adminKey(scopedTo tenant: String) async throws -> String {
        try await AdminAPIKeyStore(database: self.database).create(name: "scoped", tenantID: try await self.tenantID(tenant))
    }
}
