import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Testing

/// The constraints of `sql/` make the contract's bad states impossible, whatever code writes.
@Suite(.timeLimit(.minutes(5))) struct SchemaTests {
    struct Realm {
        var tenant: UUID
        var environment: UUID
    }

    /// A tenant with one environment and its active key, written in one transaction.
    static func makeRealm(_ client: PostgresClient, slug: String, kid: String) async throws -> Realm {
        try await client.withTransaction { connection in
            let tenant = try await connection.query("INSERT INTO tenants (slug) VALUES (\(slug)) RETURNING id").single(UUID.self)
            let environment = try await connection.query(
                "INSERT INTO environments (tenant_id, slug) VALUES (\(tenant), 'prod') RETURNING id"
            ).single(UUID.self)
            try await Self.insertKey(connection, Realm(tenant: tenant, environment: environment), kid: kid, state: "active")
            return Realm(tenant: tenant, environment: environment)
        }
    }

    static func insertKey(_ connection: PostgresConnection, _ realm: Realm, kid: String, state: String) async throws {
        try await connection.query(
            """
            INSERT INTO signing_keys (tenant_id, environment_id, kid, alg, state, private_key, public_jwk, activated_at)
            VALUES (\(realm.tenant), \(realm.environment), \(kid), 'ES256', \(state), \(Data(count: 60)),
                    '{"kty": "EC"}', CASE WHEN \(state) = 'next' THEN NULL ELSE now() END)
            """
        )
    }

    @Test func anEnvironmentWithoutAnActiveKeyCannotCommit() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            let error = await #expect(throws: PostgresError.self) {
                try await client.withTransaction { connection in
                    let tenant = try await connection.query("INSERT INTO tenants (slug) VALUES ('acme') RETURNING id").single(UUID.self)
                    try await connection.query("INSERT INTO environments (tenant_id, slug) VALUES (\(tenant), 'prod')")
                }
            }
            #expect(error?.sqlState == .checkViolation)
            let tenants = try await client.query("SELECT count(*) FROM tenants").single(Int.self)
            #expect(tenants == 0)
        }
    }

    @Test func anEnvironmentHasExactlyOneActiveKey() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            let realm = try await Self.makeRealm(client, slug: "acme", kid: "key-000001")
            // A second active key.
            let second = await #expect(throws: PostgresError.self) {
                try await client.withTransaction { try await Self.insertKey($0, realm, kid: "key-000002", state: "active") }
            }
            #expect(second?.sqlState == .uniqueViolation)
            // No active key at all.
            let none = await #expect(throws: PostgresError.self) {
                try await client.query("UPDATE signing_keys SET state = 'retiring', retiring_at = now()")
            }
            #expect(none?.sqlState == .checkViolation)
            // A rotation inside one transaction is fine.
            try await client.withTransaction { connection in
                try await Self.insertKey(connection, realm, kid: "key-000003", state: "next")
                try await connection.query("UPDATE signing_keys SET state = 'retiring', retiring_at = now() WHERE kid = 'key-000001'")
                try await connection.query("UPDATE signing_keys SET state = 'active', activated_at = now() WHERE kid = 'key-000003'")
            }
            #expect(try await client.query("SELECT kid FROM signing_keys WHERE state = 'active'").single(String.self) == "key-000003")
        }
    }

    @Test func keysMoveOnlyForward() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            let realm = try await Self.makeRealm(client, slug: "acme", kid: "key-000001")
            try await client.withTransaction { try await Self.insertKey($0, realm, kid: "key-000002", state: "next") }
            try await client.query("UPDATE signing_keys SET state = 'revoked', revoked_at = now() WHERE kid = 'key-000002'")
            let error = await #expect(throws: PostgresError.self) {
                try await client.query("UPDATE signing_keys SET state = 'next', revoked_at = NULL WHERE kid = 'key-000002'")
            }
            #expect(error?.sqlState == .checkViolation)
        }
    }

    @Test func rowsCannotPointIntoAnotherTenant() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            let acme = try await Self.makeRealm(client, slug: "acme", kid: "key-acme-01")
            let globex = try await Self.makeRealm(client, slug: "globex", kid: "key-globex-1")
            let user = try await client.query(
                "INSERT INTO users (tenant_id, username, password_hash) VALUES (\(acme.tenant), 'alice', 'x') RETURNING id"
            ).single(UUID.self)
            // A refresh token of acme's user in globex's environment.
            let error = await #expect(throws: PostgresError.self) {
                try await client.query(
                    """
                    INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
                    VALUES (\(globex.tenant), \(UUID()), \(globex.environment), \(user), \(UUID()), 'key-globex-1', now(), now() + interval '1 day')
                    """
                )
            }
            #expect(error?.sqlState == .foreignKeyViolation)
        }
    }

    @Test func slugsAndStatesAreChecked() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            for slug in ["", "-leading", "UPPER", "has space", String(repeating: "a", count: 64)] {
                let error = await #expect(throws: PostgresError.self) {
                    try await client.query("INSERT INTO tenants (slug) VALUES (\(slug))")
                }
                #expect(error?.sqlState == .checkViolation, "\(slug)")
            }
            try await client.query("INSERT INTO tenants (slug) VALUES (\(String(repeating: "a", count: 63)))")
        }
    }

    @Test func deletingATenantTakesEverythingItOwns() async throws {
        try await TestPostgres.withClient(migrated: true) { client in
            let realm = try await Self.makeRealm(client, slug: "acme", kid: "key-000001")
            let user = try await client.query(
                "INSERT INTO users (tenant_id, username, password_hash) VALUES (\(realm.tenant), 'alice', 'x') RETURNING id"
            ).single(UUID.self)
            try await client.query(
                """
                INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, kid, issued_at, expires_at)
                VALUES (\(realm.tenant), \(UUID()), \(realm.environment), \(user), \(UUID()), 'key-000001', now(), now() + interval '1 day')
                """
            )
            try await client.query("DELETE FROM tenants WHERE id = \(realm.tenant)")
            for table in ["environments", "users", "signing_keys", "refresh_tokens"] {
                let count = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).single(Int.self)
                #expect(count == 0, "\(table)")
            }
        }
    }
}
