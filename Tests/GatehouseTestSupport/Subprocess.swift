public import Foundation
import Glibc
import Synchronization

/// Runs a program to completion with `posix_spawn` and `waitpid`.
///
/// Foundation's `Process.waitUntilExit` was seen to miss a child's exit on Linux when the
/// child had started a daemon (`pg_ctl start`), hanging the test run; `waitpid` does not.
public enum Subprocess {
    /// What a finished process printed, and its exit status.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion. The wait is on a thread of its own: Swift concurrency has
    /// a thread per core, and a test waiting for a long program on one of them starved the
    /// suites running beside it.
    /// - Parameters:
    ///   - executable: the program's path.
    ///   - arguments: the arguments after the program name.
    ///   - environment: the complete environment.
    ///   - input: written to its standard input, which is then closed.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        input: String? = nil
    ) async throws -> Output {
        try await self.start(executable, arguments, environment: environment, input: input).wait()
    }

    /// Runs a program to completion, waiting on the calling thread: for short programs where
    /// no task can wait (cleanup in a `defer`).
    public static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        input: String? = nil
    ) throws -> Output {
        try self.start(executable, arguments, environment: environment, input: input).reap()
    }

    /// A program running in the background, its input and output in files of its own.
    public final class Running: Sendable {
        public let pid: pid_t
        let folder: URL
        /// Set once the exit is collected: from then on the pid may be another process's.
        private let reaped = Mutex(false)

        init(pid: pid_t, folder: URL) {
            self.pid = pid
            self.folder = folder
        }

        /// What it wrote to standard output so far.
        public var stdout: String { self.written("stdout") }

        /// What it wrote to standard error so far.
        public var stderr: String { self.written("stderr") }

        private func written(_ stream: String) -> String {
            (try? String(contentsOf: self.folder.appendingPathComponent(stream), encoding: .utf8)) ?? ""
        }

        /// Waits for the exit and returns what it printed. The wait is on a thread of its own,
        /// as in ``Subprocess/run(_:_:environment:input:)``.
        public func wait() async throws -> Output {
            try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Result { try self.reap() }) }.start()
            }
        }

        /// Sends `signal` and waits for the exit (see ``wait()``); returns the exit status.
        @discardableResult
        public func stop(signal: Int32 = SIGTERM) async -> Int32 {
            guard !self.reaped.withLock({ $0 }) else { return -1 }
            Glibc.kill(self.pid, signal)
            return (try? await self.wait().status) ?? -1
        }

        /// Kills it with SIGKILL and reaps it on the calling thread, for a `defer`, where no
        /// task can wait: a killed process is gone at once. Does nothing once it was reaped.
        public func kill() {
            guard !self.reaped.withLock({ $0 }) else { return }
            Glibc.kill(self.pid, SIGKILL)
            _ = try? self.reap()
        }

        /// Waits for the exit on the calling thread and returns what it printed.
        func reap() throws -> Output {
            var status: Int32 = 0
            while waitpid(self.pid, &status, 0) == -1 && errno == EINTR {}
            self.reaped.withLock { $0 = true }
            defer { try? FileManager.default.removeItem(at: self.folder) }
            return Output(
                status: (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                stdout: try String(contentsOf: self.folder.appendingPathComponent("stdout"), encoding: .utf8),
                stderr: try String(contentsOf: self.folder.appendingPathComponent("stderr"), encoding: .utf8)
            )
        }
    }

    /// Starts a program and returns without waiting for it.
    /// - Parameters:
    ///   - executable: the program's path.
    ///   - arguments: the arguments after the program name.
    ///   - environment: the complete environment.
    ///   - input: written to its standard input.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        input: String? = nil
    ) throws -> Running {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stdinPath = folder.appendingPathComponent("stdin").path
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: stdinPath))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, folder.appendingPathComponent("stdout").path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, folder.appendingPathComponent("stderr").path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            try? FileManager.default.removeItem(at: folder)
            throw SubprocessError(message: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        return Running(pid: pid, folder: folder)
    }
}

/// A program could not be started.
public struct SubprocessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}

extension Subprocess {
    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(socket, pointer, length) == 0 else { return -1 }
                return getsockname(socket, pointer, &length)
            }
        }
        guard bound == 0 else { throw SubprocessError(message: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
