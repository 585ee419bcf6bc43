import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehousePostgres
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// With PostgreSQL stopped, verify and me answer from the caches and the endpoints that need
/// the database answer 503 `unavailable` at once; when it is back, everything recovers.
@Suite(.timeLimit(.minutes(5))) struct DatabaseOutageTests {
    @Test func cachedPathsAnswerAndTheRestIs503UntilTheDatabaseIsBack() async throws {
        let cluster = try await PostgresCluster.start()
        defer { cluster.destroy() }
        // The pool may wait ten minutes for a connection and libpq as long to connect, longer
        // than the test may run: an answer at all comes without waiting either out.
        let configuration = PostgresConfiguration(connectionString: cluster.url, poolSize: 4, acquireTimeout: .seconds(600), connectTimeout: 600)
        try await PostgresClient.withClient(configuration: configuration) { database in
            try await PostgresMigrator(client: database).migrate(try TestPostgres.migrations())
            let keys = SigningKeyStore(masterKey: MasterKey.generate().key)
            let tenant = try await TenantStore(database: database).create(slug: "demo", keys: keys)
            let hash = try await TestDeployment.hasher().hash("secret")
            _ = try await UserStore(database: database).create(tenantID: tenant, username: "alice", passwordHash: hash)
            try await database.query("UPDATE environments SET settings = '{\"throttle_anon\": null, \"throttle_user\": null}'")
            let realms = RealmDirectory(database: database, keys: keys, publicURL: "http://gatehouse.test")
            let hasher = try TestDeployment.hasher()
            let tokens = TokenService(database: database, realms: realms, userCache: UserCache(), hasher: hasher)
            let admin = AdminService(database: database, keys: keys, hasher: hasher, publicURL: "http://gatehouse.test")
            let app = Application(router: GatehouseApplication.makeRouter(tokens: tokens, admin: admin))
            try await app.test(.router) { client in
                let api = RealmTestClient(client: client)
                let (access, refresh) = try await api.login()
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)

                try await cluster.stop()
                #expect(try await api.send(.get, "/api/me/", bearer: access).status == .ok)
                #expect(try await api.post("/api/token/verify/", json: ["token": .string(access)]).status == .ok)
                let login = try await api.post("/api/token/", json: ["username": "alice", "password": "secret"])
                #expect(login.status == .serviceUnavailable && login.code == "unavailable")
                let refreshed = try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)])
                #expect(refreshed.status == .serviceUnavailable && refreshed.code == "unavailable")
                #expect(try await RealmTestClient(client: client, base: "").send(.get, "/readyz").status == .serviceUnavailable)

                try await cluster.startAgain()
                #expect(try await api.post("/api/token/refresh/", json: ["refresh": .string(refresh)]).status == .ok)
                _ = try await api.login()
            }
        }
    }
}
