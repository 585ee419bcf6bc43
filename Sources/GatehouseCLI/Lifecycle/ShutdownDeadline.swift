import Dispatch
import Foundation
import GatehouseCore
import Logging

/// Bounds graceful shutdown, as gunicorn's `--graceful-timeout` does: once SIGTERM or
/// SIGINT arrives, the service has `limit` to finish the requests in flight and stop, then
/// the process exits anyway, with status 1 and a log line that says so.
///
/// Graceful shutdown waits for every request in flight, so a client that sends half a
/// request holds it up to `--request-timeout`; and a task or an event loop that never
/// comes back (a deadlock inside a dependency, say) would hold it forever. The deadline
/// runs on a Dispatch queue of its own, apart from SwiftNIO's event loops and Swift
/// concurrency's executor, so neither can keep it from firing.
final class ShutdownDeadline {
    private let sources: [any DispatchSourceSignal]
    private let exit: DispatchWorkItem

    /// Starts watching for SIGTERM and SIGINT, until this object goes.
    init(limit: Duration, logger: Logger) {
        let queue = DispatchQueue(label: "gatehouse.shutdown-deadline")
        self.exit = DispatchWorkItem {
            logger.error("graceful shutdown did not finish in time: exiting", metadata: ["graceful_timeout_s": "\(limit.components.seconds)"])
            LogSink.standardError.flush()
            _exit(1)
        }
        self.sources = [SIGTERM, SIGINT].map { number in
            // Dispatch sees a signal only once its default action (ending the process at
            // once) is off; swift-service-lifecycle turns it off the same way.
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: queue)
        }
        for source in self.sources {
            // The deadline counts from the first signal; a later one only adds a later
            // run of the same exit.
            source.setEventHandler { [exit] in queue.asyncAfter(deadline: .now() + limit.timeInterval, execute: exit) }
            source.resume()
        }
    }

    deinit {
        self.exit.cancel()
        for source in self.sources { source.cancel() }
    }
}
