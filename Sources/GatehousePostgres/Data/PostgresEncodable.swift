/// A Swift value that can be bound as a query parameter, in PostgreSQL's binary format.
///
/// Binding is the only way a value reaches the server: ``PostgresQuery`` turns every
/// interpolated value into a `$n` placeholder and an entry in ``PostgresBindings``.
public protocol PostgresEncodable: Sendable {
    /// The type the server is told the parameter has.
    static var postgresType: PostgresDataType { get }

    /// `true` when this value is SQL `NULL`.
    var isPostgresNull: Bool { get }

    /// Appends the binary representation of a non-`NULL` value.
    /// - Parameter buffer: the buffer to append to.
    func encode(into buffer: inout [UInt8])
}

extension PostgresEncodable {
    public var isPostgresNull: Bool { false }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresDataType { Wrapped.postgresType }

    public var isPostgresNull: Bool {
        switch self {
        case .none: true
        case .some(let wrapped): wrapped.isPostgresNull
        }
    }

    public func encode(into buffer: inout [UInt8]) {
        self?.encode(into: &buffer)
    }
}

extension FixedWidthInteger {
    @inlinable
    func appendBigEndian(to buffer: inout [UInt8]) {
        var value = self.bigEndian
        withUnsafeBytes(of: &value) { buffer.append(contentsOf: $0) }
    }
}
