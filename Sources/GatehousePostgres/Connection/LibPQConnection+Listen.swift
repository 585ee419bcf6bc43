import CLibPQ

/// LISTEN/NOTIFY on a connection of its own (``PostgresListener``'s).
extension LibPQConnection {
    /// Issues `LISTEN` for a channel whose name was checked by the caller.
    func listen(quotedChannel: String) async throws(PostgresError) {
        try await self.execute(unsafeSQL: "LISTEN " + quotedChannel)
    }

    /// Waits until the server sends something, then returns the notifications in it
    /// (none when the task was cancelled).
    /// - Throws: ``PostgresError/Kind/connection`` when the connection broke.
    func notifications() async throws(PostgresError) -> [PostgresNotification] {
        guard let handle else { throw PostgresError(kind: .connection, message: "not connected") }
        await SocketPoller.shared.waitCancellably(for: PQsocket(handle), .readable)
        guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
            throw self.connectionError()
        }
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            notifications.append(
                PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: String(cString: notify.pointee.extra),
                    processID: notify.pointee.be_pid
                )
            )
            PQfreemem(notify)
        }
        return notifications
    }

    /// Quotes an identifier with libpq's own escaping.
    func quoteIdentifier(_ identifier: String) throws(PostgresError) -> String {
        guard let escaped = PQescapeIdentifier(self.handle, identifier, identifier.utf8.count) else {
            throw PostgresError(kind: .connection, message: "could not quote identifier")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }
}
