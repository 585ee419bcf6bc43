public import Logging
import NIOPosix
public import ServiceLifecycle

/// Listens on PostgreSQL channels over a connection of its own and delivers what arrives
/// as an `AsyncSequence` of ``Event``s.
///
/// When the connection breaks it reconnects with backoff and listens again, then sends
/// ``Event/connected``: notifications sent while it was away are lost, so a consumer that
/// caches state should reload it on that event. ``Event/disconnected`` says it is away.
/// Run it as a ServiceLifecycle service.
public final class PostgresListener: Sendable, Service {
    /// What the listener delivers.
    public enum Event: Sendable, Hashable {
        /// The listener is (again) connected and listening; anything sent before may be missed.
        case connected
        /// A notification on one of the channels.
        case notification(PostgresNotification)
        /// The connection broke (or could not be made); the listener keeps trying.
        case disconnected
    }

    /// The events, for one consumer.
    public let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: where the database is; the pool size is not used.
    ///   - channels: the channels to listen on: lower-case letters, digits and `_`, fixed by the program.
    ///   - logger: where connection problems are reported.
    public init(
        configuration: PostgresConfiguration,
        channels: [String],
        logger: Logger = Logger(label: "gatehouse.listener")
    ) {
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
        // Connecting blocks, so it gets a thread of its own; listening does not.
        let connector = NIOThreadPool(numberOfThreads: 1)
        connector.start()
        await cancelWhenGracefulShutdown {
            await self.listen(connector: connector)
        }
        try? await connector.shutdownGracefully()
        self.continuation.finish()
    }

    private func listen(connector: NIOThreadPool) async {
        let connection = LibPQConnection(configuration: self.configuration)
        defer { connection.close() }
        var backoff: Duration = .milliseconds(50)
        while !Task.isCancelled {
            do {
                try await connector.runIfActive { try connection.connect() }
                for channel in self.channels {
                    try await connection.listen(quotedChannel: try connection.quoteIdentifier(channel))
                }
                backoff = .milliseconds(50)
                self.continuation.yield(.connected)
                while !Task.isCancelled {
                    for notification in try await connection.notifications() {
                        self.continuation.yield(.notification(notification))
                    }
                }
            } catch {
                connection.close()
                guard !Task.isCancelled else { return }
                self.continuation.yield(.disconnected)
                self.logger.warning("listener connection lost; reconnecting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
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
