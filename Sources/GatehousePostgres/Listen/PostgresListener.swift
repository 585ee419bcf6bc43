import Glibc
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// Listens on PostgreSQL channels over a connection of its own and delivers what arrives
/// as an `AsyncSequence` of ``Event``s.
///
/// When the connection breaks it reconnects with backoff and listens again, then sends
/// ``Event/connected``: notifications sent while it was away are lost, so a consumer that
/// caches state should reload it on that event. Run it as a ServiceLifecycle service.
public final class PostgresListener: Sendable, Service {
    /// What the listener delivers.
    public enum Event: Sendable, Hashable {
        /// The listener is (again) connected and listening; anything sent before may be missed.
        case connected
        /// A notification on one of the channels.
        case notification(PostgresNotification)
    }

    /// The events, for one consumer.
    public let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)

    /// - Parameters:
    ///   - configuration: where the database is; the pool size is not used.
    ///   - channels: the channels to listen on: lower-case letters, digits and `_`, fixed by the program.
    ///   - logger: where connection problems are reported.
    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger = Logger(label: "gatehouse.listener")) {
        for channel in channels {
            precondition(Self.isValidChannel(channel), "invalid channel name \(channel)")
        }
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        (self.events, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(65_536))
    }

    /// Listens until the task is cancelled or graceful shutdown begins, then finishes ``events``.
    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                _ = try? await thread.runIfActive { self.listenUntilStopped() }
            } onGracefulShutdown: {
                self.stopped.store(true, ordering: .relaxed)
            }
        } onCancel: {
            self.stopped.store(true, ordering: .relaxed)
        }
        try? await thread.shutdownGracefully()
        self.continuation.finish()
    }

    /// The blocking loop, on the listener's own thread.
    private func listenUntilStopped() {
        let connection = LibPQConnection(configuration: self.configuration)
        defer { connection.close() }
        var backoff: Duration = .milliseconds(50)
        while !self.stopped.load(ordering: .relaxed) {
            do {
                try connection.connect()
                for channel in self.channels {
                    try connection.listen(quotedChannel: try connection.quoteIdentifier(channel))
                }
                backoff = .milliseconds(50)
                self.continuation.yield(.connected)
                try self.receive(on: connection)
            } catch {
                connection.close()
                self.logger.warning("listener connection lost; reconnecting", metadata: ["error": "\(error)"])
                self.sleep(backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    private func receive(on connection: LibPQConnection) throws(PostgresError) {
        while !self.stopped.load(ordering: .relaxed) {
            var descriptor = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            guard ready > 0 else { continue }
            for notification in try connection.consumeNotifications() {
                self.continuation.yield(.notification(notification))
            }
        }
    }

    /// Sleeps in short steps so that stopping is not delayed.
    private func sleep(_ duration: Duration) {
        var remaining = duration
        while remaining > .zero, !self.stopped.load(ordering: .relaxed) {
            let step = min(remaining, .milliseconds(50))
            usleep(UInt32(step.components.attoseconds / 1_000_000_000_000))
            remaining -= step
        }
    }

    private static func isValidChannel(_ channel: String) -> Bool {
        guard let first = channel.utf8.first, channel.utf8.count <= 63 else { return false }
        guard first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return channel.utf8.allSatisfy {
            $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        }
    }
}
