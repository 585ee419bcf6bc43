/// A SQL statement and its bound parameters.
///
/// Write queries as string literals; every interpolated value becomes a `$n` placeholder
/// and a bound parameter, never SQL text:
///
/// ```swift
/// let rows = try await client.query("SELECT id FROM users WHERE username = \(name)")
/// ```
///
/// SQL assembled at run time has to say so: ``init(unsafeSQL:binds:)``.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The statement text, with `$1`, `$2`, ... for the parameters.
    public var sql: String
    /// The parameters, in placeholder order.
    public var binds: PostgresBindings

    /// A query from SQL text that was not written as a literal.
    ///
    /// The caller vouches that no value from outside the program is in `unsafeSQL`.
    /// - Parameters:
    ///   - unsafeSQL: the statement text.
    ///   - binds: the values for its placeholders.
    public init(unsafeSQL: String, binds: PostgresBindings = PostgresBindings()) {
        self.sql = unsafeSQL
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Builds a ``PostgresQuery`` from a literal with interpolated values.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var binds: PostgresBindings

        public init(literalCapacity: Int, interpolationCount: Int) {
            self.sql = ""
            self.sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            self.binds = PostgresBindings(capacity: interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            self.sql.append(literal)
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            self.binds.append(value)
            self.sql.append("$\(self.binds.count)")
        }

        /// Inserts SQL text that is part of the program, such as a shared column list: a
        /// `StaticString`, so no value from outside can get in this way.
        public mutating func appendInterpolation(unsafeSQL text: StaticString) {
            self.sql.append(text.description)
        }

        /// Binds `value` as the next parameter; `nil` binds `NULL`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            self.binds.append(value)
            self.sql.append("$\(self.binds.count)")
        }
    }
}

/// The parameters of a ``PostgresQuery``, already encoded in binary format.
public struct PostgresBindings: Sendable, Hashable {
    /// Every parameter's bytes, one after the other.
    var bytes: [UInt8] = []
    /// Where each parameter starts in `bytes`, and its length (`-1` for `NULL`).
    var slices: [Slice] = []
    /// Each parameter's type.
    var types: [PostgresDataType] = []

    struct Slice: Sendable, Hashable {
        var offset: Int
        var length: Int32
    }

    public init() {}

    init(capacity: Int) {
        self.slices.reserveCapacity(capacity)
        self.types.reserveCapacity(capacity)
    }

    /// The number of parameters.
    public var count: Int { self.types.count }

    /// Appends a parameter.
    /// - Parameter value: the value; `nil` binds `NULL`.
    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        self.types.append(Value.postgresType)
        if value.isPostgresNull {
            self.slices.append(Slice(offset: self.bytes.count, length: -1))
            return
        }
        let offset = self.bytes.count
        value.encode(into: &self.bytes)
        self.slices.append(Slice(offset: offset, length: Int32(self.bytes.count - offset)))
    }
}
