import CLibPQ
import Glibc

/// One libpq connection, used synchronously by one thread at a time: the pool hands it to
/// one borrower at a time, which is what makes the `@unchecked Sendable` sound.
///
/// ``connect()`` blocks: the client runs it on a thread of its own. Statements never
/// block: the socket is in non-blocking mode, and a statement waits for the server's
/// answer by suspending on ``SocketPoller``, so it may run on any thread, an event loop
/// included. A broken connection is closed and the next use connects again, so a server
/// restart costs no more than one reconnect.
final class LibPQConnection: @unchecked Sendable {
    private let configuration: PostgresConfiguration
    private(set) var handle: OpaquePointer?
    /// Prepared statements by text and parameter types.
    private var statements: [StatementKey: String] = [:]
    /// Statements beyond this many are run unprepared, so run-time SQL cannot grow the cache.
    private static let statementCacheLimit = 512

    private struct StatementKey: Hashable {
        var sql: String
        var types: [PostgresDataType]
    }

    init(configuration: PostgresConfiguration) {
        self.configuration = configuration
    }

    deinit {
        self.close()
    }

    /// `true` when the connection is open and idle outside a transaction.
    var isIdle: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// `true` while the connection is open.
    var isOpen: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Opens the connection if it is not open.
    func connect() throws(PostgresError) {
        if let handle, PQstatus(handle) == CONNECTION_OK { return }
        self.close()
        // Defaults that the connection string, expanded last, overrides. Over TCP, keepalives
        // and a user timeout find a server that vanished without closing the socket (a host
        // lost in a failover) within about ten seconds, for idle and busy connections alike.
        let keywords = [
            "application_name", "connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
            "dbname",
        ]
        let values = [
            self.configuration.applicationName, String(self.configuration.connectTimeout), "5", "2", "3", "10000",
            self.configuration.connectionString,
        ]
        let handle = withCStringArray(keywords) { keywords in
            withCStringArray(values) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let handle else {
            throw PostgresError(kind: .connection, message: "out of memory creating a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = ConnectionString.redacting(
                password: self.configuration.connectionString,
                in: String(cString: PQerrorMessage(handle))
            )
            PQfinish(handle)
            throw PostgresError(kind: .connection, message: "could not connect to PostgreSQL: \(message)")
        }
        // Server notices (e.g. "already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        PQsetnonblocking(handle, 1)
        self.handle = handle
    }

    /// Closes a connection that the server has dropped while it sat idle.
    ///
    /// An idle pool connection expects nothing from the server, so any data waiting on its
    /// socket (a shutdown notice, an end of file) means it cannot be trusted: close it and
    /// let the next statement connect again.
    func closeIfDropped() {
        guard let handle else { return }
        guard PQstatus(handle) == CONNECTION_OK else { return self.close() }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 {
            self.close()
        }
    }

    func close() {
        if let handle {
            SocketPoller.shared.forget(PQsocket(handle))
            PQfinish(handle)
        }
        self.handle = nil
        self.statements.removeAll()
    }

    /// Runs one statement with bound parameters, prepared once per connection.
    func execute(_ query: PostgresQuery) async throws(PostgresError) -> PostgresRows {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: "not connected")
        }
        let key = StatementKey(sql: query.sql, types: query.binds.types)
        var name = self.statements[key]
        if name == nil, self.statements.count < Self.statementCacheLimit {
            let newName = "gh\(self.statements.count)"
            try await self.send {
                query.binds.types.map(\.rawValue).withUnsafeBufferPointer { types in
                    PQsendPrepare(handle, newName, query.sql, Int32(types.count), types.baseAddress)
                }
            }
            _ = try await self.results()
            self.statements[key] = newName
            name = newName
        }
        try await self.send {
            query.binds.withParameters { count, values, lengths, formats in
                if let name {
                    return PQsendQueryPrepared(handle, name, count, values, lengths, formats, 1)
                }
                return query.binds.types.map(\.rawValue).withUnsafeBufferPointer { types in
                    PQsendQueryParams(handle, query.sql, count, types.baseAddress, values, lengths, formats, 1)
                }
            }
        }
        return try await self.results()
    }

    /// Runs SQL text that may hold several statements (a migration file), without parameters.
    /// - Parameter unsafeSQL: SQL text that holds no value from outside the program.
    func execute(unsafeSQL sql: String) async throws(PostgresError) {
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: "not connected")
        }
        try await self.send { PQsendQuery(handle, sql) }
        _ = try await self.results()
    }

    /// Queues a command with one of libpq's `PQsend*` functions and flushes it to the server.
    private func send(_ queue: () -> Int32) async throws(PostgresError) {
        guard let handle else { throw PostgresError(kind: .connection, message: "not connected") }
        guard queue() == 1 else { throw self.connectionError() }
        while true {
            switch PQflush(handle) {
            case 0: return
            case 1: await SocketPoller.shared.wait(for: PQsocket(handle), .writable)
            default: throw self.connectionError()
            }
        }
    }

    /// Waits for the answer to the command sent last and returns its rows, or the first error.
    private func results() async throws(PostgresError) -> PostgresRows {
        guard let handle else { throw PostgresError(kind: .connection, message: "not connected") }
        var rows: PostgresRows?
        var error: PostgresError?
        while true {
            while PQisBusy(handle) == 1 {
                await SocketPoller.shared.wait(for: PQsocket(handle), .readable)
                guard PQconsumeInput(handle) == 1 else { throw self.connectionError() }
            }
            guard let result = PQgetResult(handle) else { break }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                rows = PostgresRows(result: result)
            default:
                if error == nil { error = Self.serverError(result) }
                PQclear(result)
            }
        }
        if PQstatus(handle) != CONNECTION_OK {
            throw self.connectionError()
        }
        if let error { throw error }
        guard let rows else { throw PostgresError(kind: .connection, message: "the server sent no result") }
        return rows
    }

    func connectionError() -> PostgresError {
        let message = self.handle.map { String(cString: PQerrorMessage($0)) } ?? "not connected"
        self.close()
        return PostgresError(kind: .connection, message: message.trimmingTrailingNewlines)
    }

    private static func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let message = field("M") ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines
        return PostgresError(
            kind: .server,
            sqlState: field("C").map(SQLState.init(rawValue:)),
            message: message,
            detail: field("D"),
            constraint: field("n")
        )
    }
}

extension PostgresBindings {
    /// Calls `body` with the C arrays libpq wants for the parameters, valid for the call.
    fileprivate func withParameters<R>(
        _ body: (
            Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        let lengths = self.slices.map { max($0.length, 0) }
        let formats = [Int32](repeating: 1, count: self.slices.count)
        // An empty value still needs a non-NULL pointer (NULL means SQL NULL), so the
        // buffer must have an address even when every value is empty.
        var bytes = self.bytes
        if bytes.isEmpty { bytes.append(0) }
        return bytes.withUnsafeBytes { bytes in
            let base = bytes.baseAddress!.assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = self.slices.map { slice in
                slice.length < 0 ? nil : UnsafePointer(base + slice.offset)
            }
            return values.withUnsafeBufferPointer { values in
                body(Int32(self.slices.count), values.baseAddress, lengths, formats)
            }
        }
    }
}

/// Runs `body` with a NULL-terminated array of C strings.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer {
        for pointer in duplicates { free(pointer) }
    }
    let pointers = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while text.last?.isNewline == true { text.removeLast() }
        return String(text)
    }
}
