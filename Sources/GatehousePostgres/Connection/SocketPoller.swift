import CLibPQ
import Glibc
import Synchronization

import class Foundation.Thread

/// Wakes tasks whose connection's socket became readable or writable, for every
/// connection of the process, from one thread running `epoll_wait`.
///
/// This is what lets a statement run without a thread of its own: the task sends without
/// blocking, suspends here, and resumes when the server's answer has arrived. Compared
/// with handing each statement to a worker thread, it saves one thread wake-up per round
/// trip, which is most of the layer's overhead over plain libpq.
final class SocketPoller: Sendable {
    /// The poller of the process, started on first use.
    static let shared = SocketPoller()

    enum Readiness {
        case readable
        case writable
    }

    private let epoll: Int32
    private let waiters = Mutex<[Int32: CheckedContinuation<Void, Never>]>([:])

    private init() {
        self.epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(self.epoll >= 0, "epoll_create1 failed: \(errno)")
        let thread = Thread { [self] in self.run() }
        thread.start()
    }

    /// Suspends until `socket` is ready (or has an error or hang-up to report).
    ///
    /// One task at a time may wait on a socket: the connection that owns it is lent to one
    /// borrower at a time.
    func wait(for socket: Int32, _ readiness: Readiness) async {
        await self.wait(for: socket, readiness, cancellable: false)
    }

    private func wait(for socket: Int32, _ readiness: Readiness, cancellable: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.waiters.withLock { $0[socket] = continuation }
            if cancellable && Task.isCancelled {
                // Cancelled before the waiter was registered: onCancel found nothing to wake.
                return self.wake(socket)
            }
            let events = readiness == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue
            if gatehouse_epoll_arm(self.epoll, socket, events) != 0 {
                // Not pollable (already closed): let the caller find out from libpq.
                self.wake(socket)
            }
        }
    }

    /// Like ``wait(for:_:)``, but returns early when the task is cancelled.
    func waitCancellably(for socket: Int32, _ readiness: Readiness) async {
        await withTaskCancellationHandler {
            await self.wait(for: socket, readiness, cancellable: true)
        } onCancel: {
            self.wake(socket)
        }
    }

    /// Resumes the task waiting on `socket`, if any.
    private func wake(_ socket: Int32) {
        self.waiters.withLock { $0.removeValue(forKey: socket) }?.resume()
    }

    /// Stops watching `socket`; call before the socket is closed.
    func forget(_ socket: Int32) {
        epoll_ctl(self.epoll, EPOLL_CTL_DEL, socket, nil)
    }

    private func run() {
        var ready = [Int32](repeating: 0, count: 64)
        while true {
            let count = ready.withUnsafeMutableBufferPointer { gatehouse_epoll_wait(self.epoll, $0.baseAddress, -1) }
            guard count > 0 else { continue }  // EINTR
            for socket in ready[0..<Int(count)] {
                self.wake(socket)
            }
        }
    }
}
