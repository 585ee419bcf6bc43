import CLibPQ

/// The rows a statement returned, read in place from libpq's result.
///
/// A libpq result is immutable once made, so it may be read from any thread.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let storage: Storage

    init(result: OpaquePointer) {
        self.storage = Storage(result: result)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { self.storage.rowCount }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(storage: self.storage, row: Int32(position))
    }

    /// Rows inserted, updated or deleted by the statement (libpq's `PQcmdTuples`).
    public var affectedRows: Int {
        Int(String(cString: PQcmdTuples(self.storage.result))) ?? 0
    }

    /// Decodes the only row, or throws when there is not exactly one.
    /// - Parameter types: the column types, e.g. `(UUID, String).self`.
    public func single<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        guard self.count == 1 else {
            throw PostgresError(kind: .decoding, message: "expected exactly one row, got \(self.count)")
        }
        return try self[0].decode(types)
    }

    /// Decodes the one column of the only row, or throws when there is not exactly one row.
    /// - Parameter type: the column's type, e.g. `Int.self`.
    public func single<V: PostgresDecodable>(_ type: V.Type) throws -> V {
        guard self.count == 1 else {
            throw PostgresError(kind: .decoding, message: "expected exactly one row, got \(self.count)")
        }
        return try self[0].decode(type)
    }

    final class Storage: @unchecked Sendable {
        let result: OpaquePointer
        let rowCount: Int
        let columnCount: Int
        let types: [PostgresDataType]

        init(result: OpaquePointer) {
            self.result = result
            self.rowCount = Int(PQntuples(result))
            self.columnCount = Int(PQnfields(result))
            self.types = (0..<Int32(self.columnCount)).map { PostgresDataType(rawValue: PQftype(result, $0)) }
        }

        deinit {
            PQclear(self.result)
        }
    }
}

/// One row of ``PostgresRows``.
public struct PostgresRow: Sendable {
    let storage: PostgresRows.Storage
    let row: Int32

    /// Decodes every column in order; the number of types must match the number of columns.
    ///
    /// ```swift
    /// let (id, name) = try row.decode((UUID, String).self)
    /// ```
    /// - Parameter types: one type per column; `Optional` where the column may be `NULL`.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var expected = 0
        for _ in repeat (each T).self { expected += 1 }
        guard expected == self.storage.columnCount else {
            throw PostgresError(
                kind: .decoding,
                message: "asked for \(expected) columns, the row has \(self.storage.columnCount)"
            )
        }
        var column = 0
        func next<V: PostgresDecodable>(_: V.Type) throws -> V {
            defer { column += 1 }
            return try self.decode(column: column, as: V.self)
        }
        return (repeat try next((each T).self))
    }

    /// Decodes the only column.
    /// - Parameter type: the column's type; `Optional` when it may be `NULL`.
    public func decode<V: PostgresDecodable>(_ type: V.Type) throws -> V {
        guard self.storage.columnCount == 1 else {
            throw PostgresError(kind: .decoding, message: "asked for 1 column, the row has \(self.storage.columnCount)")
        }
        return try self.decode(column: 0, as: type)
    }

    /// Decodes one column.
    /// - Parameters:
    ///   - column: the zero-based column index.
    ///   - type: the Swift type to decode into.
    public func decode<V: PostgresDecodable>(column: Int, as type: V.Type = V.self) throws -> V {
        guard column >= 0, column < self.storage.columnCount else {
            throw PostgresError.decoding(.missingColumn("#\(column)"), column: column)
        }
        let result = self.storage.result
        let dataType = self.storage.types[column]
        do {
            if PQgetisnull(result, self.row, Int32(column)) == 1 {
                return try V.decodeNull(type: dataType)
            }
            let length = Int(PQgetlength(result, self.row, Int32(column)))
            let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, self.row, Int32(column)), count: length)
            return try V.decode(from: bytes, type: dataType)
        } catch {
            throw PostgresError.decoding(error, column: column)
        }
    }

    /// Decodes the column with the given name.
    /// - Parameters:
    ///   - name: the column name as the statement returns it.
    ///   - type: the Swift type to decode into.
    public func decode<V: PostgresDecodable>(column name: String, as type: V.Type = V.self) throws -> V {
        let index = Int(PQfnumber(self.storage.result, "\"\(name)\""))
        guard index >= 0 else {
            throw PostgresError(kind: .decoding, message: "no column \(name) in the result")
        }
        return try self.decode(column: index, as: type)
    }
}
