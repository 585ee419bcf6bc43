import Foundation
import Synchronization

/// Where log lines go: standard error, in batches. A line is appended to a buffer, and a
/// thread of its own writes the buffer every ``interval`` (sooner when it holds
/// ``batchSize`` bytes), so a line per request costs a copy, not a system call; whole lines
/// only, never interleaved. ``flush()`` writes what is left (at exit).
final class LogSink: Sendable {
    /// The process's sink, which every ``GatehouseLogHandler`` writes to.
    static let standardError = LogSink(descriptor: 2)

    /// Seconds between writes.
    static let interval: TimeInterval = 0.05
    static let batchSize = 64 * 1024

    private let descriptor: Int32
    private let buffer = Mutex<[UInt8]>([])
    /// Held while writing, so batches reach the descriptor in order.
    private let writing = Mutex<Void>(())

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: Self.interval)
                self.flush()
            }
        }
        thread.name = "gatehouse-log"
        thread.start()
    }

    /// Queues `line` (ending in a newline).
    func append(_ line: String) {
        let full = self.buffer.withLock { buffer in
            buffer.append(contentsOf: line.utf8)
            return buffer.count >= Self.batchSize
        }
        if full { self.flush() }
    }

    /// Writes every queued line now.
    func flush() {
        self.writing.withLock { _ in
            let bytes = self.buffer.withLock { buffer -> [UInt8] in
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer
            }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(self.descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }
}
