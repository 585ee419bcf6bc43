import GatehousePostgres
import GatehouseTestSupport
import Testing

/// One connection's prepared statements.
@Suite(.timeLimit(.minutes(5))) struct LibPQConnectionTests {
    /// Past the cache's 512 statements, new ones run unprepared, and the cached ones still
    /// answer: a process with many distinct statements neither fails nor grows without bound.
    @Test func moreDistinctStatementsThanTheCacheHoldsAllRunAndTheCacheStaysBounded() async throws {
        let url = try await TestPostgres.makeDatabase()
        try await PostgresClient.withClient(configuration: PostgresConfiguration(connectionString: url, poolSize: 1)) { client in
            try await client.withConnection { connection in
                for index in 0..<600 {
                    var binds = PostgresBindings()
                    binds.append(Int64(index))
                    // Distinct texts made from our own counter, never from input.
                    let query = PostgresQuery(unsafeSQL: "SELECT $1::int8 + \(index)", binds: binds)
                    let sum = try await connection.query(query).single(Int64.self)
                    #expect(sum == Int64(2 * index))
                }
                let prepared = try await connection.query("SELECT count(*) FROM pg_prepared_statements").single(Int.self)
                #expect(prepared == 512)
                var binds = PostgresBindings()
                binds.append(Int64(7))
                let cached = try await connection.query(PostgresQuery(unsafeSQL: "SELECT $1::int8 + 0", binds: binds)).single(Int64.self)
                let unprepared = try await connection.query(PostgresQuery(unsafeSQL: "SELECT $1::int8 + 599", binds: binds)).single(Int64.self)
                #expect(cached == 7 && unprepared == 606)
            }
        }
    }
}
