import Foundation
import GatehousePostgres
import GatehouseTestSupport
import Testing

@Suite(.timeLimit(.minutes(5))) struct PostgresDataTests {
    @Test func everyTypeRoundTripsWithNullsAndUnicode() async throws {
        try await TestPostgres.withClient { client in
            try await client.query(
                """
                CREATE TABLE everything (
                    t text, i2 int2, i4 int4, i8 int8, b bool, f float8, u uuid, ts timestamptz,
                    bytes bytea, doc jsonb, names text[], ids uuid[]
                )
                """
            )
            let id = UUID()
            let instant = Date(timeIntervalSince1970: 1_795_000_000.123456)
            let text = "Grüße, 世界 🚀 'quoted' \"double\" \\ ; DROP TABLE everything; --"
            let bytes = Data([0, 1, 2, 255, 0, 128])
            let document = PostgresJSONB(#"{"name": "Ünïcødé", "n": [1, 2, 3]}"#)
            try await client.query(
                """
                INSERT INTO everything VALUES (
                    \(text), \(Int16(-32768)), \(Int32.max), \(Int64.min), \(true), \(3.5e-300), \(id), \(instant),
                    \(bytes), \(document), \(["a", "ß", ""]), \([id, id])
                )
                """
            )
            let row = try #require(try await client.query("SELECT * FROM everything").first)
            let (t, i2, i4, i8, b, f, u, ts, data, doc, names, ids) = try row.decode(
                (String, Int16, Int32, Int64, Bool, Double, UUID, Date, Data, PostgresJSONB, [String], [UUID]).self
            )
            #expect(t == text)
            #expect(i2 == -32768)
            #expect(i4 == Int32.max)
            #expect(i8 == Int64.min)
            #expect(b == true)
            #expect(f == 3.5e-300)
            #expect(u == id)
            #expect(abs(ts.timeIntervalSince(instant)) < 0.000_001)
            #expect(data == bytes)
            #expect(try JSONSerialization.jsonObject(with: Data(doc.text.utf8)) as? [String: Any] != nil)
            #expect(doc.text.contains("Ünïcødé"))
            #expect(names == ["a", "ß", ""])
            #expect(ids == [id, id])

            // NULL in every column decodes as nil, and the empty string is not NULL.
            try await client.query("DELETE FROM everything")
            let none: String? = nil
            try await client.query(
                """
                INSERT INTO everything VALUES (
                    \(none), \(Int16?.none), \(Int32?.none), \(Int64?.none), \(Bool?.none), \(Double?.none),
                    \(UUID?.none), \(Date?.none), \(Data?.none), \(PostgresJSONB?.none), \([String]?.none), \([UUID]?.none)
                )
                """
            )
            let nullRow = try #require(try await client.query("SELECT * FROM everything").first)
            let nulls = try nullRow.decode(
                (String?, Int16?, Int32?, Int64?, Bool?, Double?, UUID?, Date?, Data?, PostgresJSONB?, [String]?, [UUID]?).self
            )
            #expect(nulls.0 == nil && nulls.1 == nil && nulls.2 == nil && nulls.3 == nil)
            #expect(nulls.4 == nil && nulls.5 == nil && nulls.6 == nil && nulls.7 == nil)
            #expect(nulls.8 == nil && nulls.9 == nil && nulls.10 == nil && nulls.11 == nil)
            #expect(try await client.query("SELECT \("")::text").single(String?.self) == "")
            #expect(try await client.query("SELECT \(Data())").single(Data.self) == Data())
            #expect(try await client.query("SELECT \([String]())").single([String].self) == [])
            #expect(try await client.query("SELECT \([bytes, Data()])").single([Data].self) == [bytes, Data()])
        }
    }

    @Test func anInterpolatedValueIsNeverSQL() async throws {
        try await TestPostgres.withClient { client in
            try await client.query("CREATE TABLE users (name text)")
            let hostile = "x'); DROP TABLE users; --"
            try await client.query("INSERT INTO users VALUES (\(hostile))")
            #expect(try await client.query("SELECT name FROM users").single(String.self) == hostile)
            let query: PostgresQuery = "SELECT * FROM users WHERE name = \(hostile) AND name <> \("y")"
            #expect(query.sql == "SELECT * FROM users WHERE name = $1 AND name <> $2")
            #expect(query.binds.count == 2)
        }
    }

    @Test func aTypeMismatchIsAnErrorNotACrash() async throws {
        try await TestPostgres.withClient { client in
            let rows = try await client.query("SELECT 'text'::text, NULL::int8, 42::int4, 'abc'::varchar")
            let row = try #require(rows.first)
            for attempt in [
                { _ = try row.decode(column: 0, as: Int.self) },
                { _ = try row.decode(column: 1, as: Int.self) },  // NULL into non-optional
                { _ = try row.decode(column: 2, as: UUID.self) },
                { _ = try row.decode(column: 2, as: Int16.self) },  // narrowing
                { _ = try row.decode(column: 7, as: String.self) },  // no such column
                { _ = try row.decode((String, Int).self) },  // wrong column count
                { _ = try rows.single([String].self) },
            ] as [() throws -> Void] {
                let error = #expect(throws: PostgresError.self) { try attempt() }
                #expect(error?.kind == .decoding)
            }
            // Widening is fine: int4 into Int, varchar into String.
            #expect(try row.decode(column: 2, as: Int.self) == 42)
            #expect(try row.decode(column: "varchar", as: String.self) == "abc")
        }
    }

    @Test func affectedRowsCountsWhatAStatementChanged() async throws {
        try await TestPostgres.withClient { client in
            try await client.query("CREATE TABLE n (i int8)")
            let inserted = try await client.query("INSERT INTO n SELECT generate_series(1, 25)")
            #expect(inserted.affectedRows == 25)
            #expect(try await client.query("DELETE FROM n WHERE i > \(20)").affectedRows == 5)
            let values = try await client.query("SELECT i FROM n WHERE i = ANY(\([1, 2, 3, 99]))").map { try $0.decode(Int.self) }
            #expect(values.sorted() == [1, 2, 3])
        }
    }
}
