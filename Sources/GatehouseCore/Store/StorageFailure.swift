import GatehousePostgres

/// A failure of the storage underneath, as the layers above the domain see it: they tell an
/// outage (answer 503, try again later) from a bug without knowing the database layer.
public protocol StorageFailure: Error {
    /// The database cannot be reached or no connection became free: retrying later may succeed.
    var isUnavailable: Bool { get }
}

extension PostgresError: StorageFailure {}
