public import Foundation
public import GatehouseCore

/// A real `gatehouse serve` process on a free port, and curl to talk to it.
public struct GatehouseServer: Sendable {
    public let process: Subprocess.Running
    /// `http://127.0.0.1:<port>` (`https://` when served with TLS).
    public let url: String
    /// The certificate curl trusts for an HTTPS server.
    public var trustedCertificate: String?

    /// An HTTP answer, as curl saw it.
    public struct Answer: Sendable {
        public var status: Int
        /// The body's bytes as text.
        public var body: String
        /// The body as a JSON object, or empty.
        public var json: [String: JSONValue] {
            (try? JSONValue.parse(Array(self.body.utf8)))?.objectValue ?? [:]
        }
    }

    /// Starts `gatehouse serve` with `environment` merged into this process's and waits
    /// until `/readyz` answers 200.
    /// - Parameters:
    ///   - arguments: more arguments for `serve`.
    ///   - trustedCertificate: for `--tls-cert`: the server speaks HTTPS, and curl trusts this PEM file.
    public static func start(
        environment: [String: String],
        arguments: [String] = [],
        trustedCertificate: String? = nil
    ) async throws -> GatehouseServer {
        let port = try Subprocess.freePort()
        var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        merged["GATEHOUSE_PUBLIC_URL"] = environment["GATEHOUSE_PUBLIC_URL"]
        let process = try Subprocess.start(GatehouseProcess.executable.path, ["serve", "--port", "\(port)"] + arguments, environment: merged)
        let scheme = trustedCertificate == nil ? "http" : "https"
        let server = GatehouseServer(process: process, url: "\(scheme)://127.0.0.1:\(port)", trustedCertificate: trustedCertificate)
        do {
            // Generous: a loaded machine starts a debug build slowly; the limit measures nothing.
            try await eventually(within: .seconds(60)) { (try? await server.curl("GET", "/readyz"))?.status == 200 }
            return server
        } catch {
            process.kill()
            throw SubprocessError(message: "gatehouse serve did not become ready: \(process.stderr)")
        }
    }

    /// One request with curl, a real HTTP client over a real socket.
    /// - Parameters:
    ///   - path: appended to ``url``.
    ///   - body: a JSON body.
    ///   - bearer: an `Authorization: Bearer` value.
    ///   - maxTime: seconds before curl gives up (the answer's status is then 0).
    public func curl(_ method: String, _ path: String, body: JSONValue? = nil, bearer: String? = nil, maxTime: Int = 30) async throws -> Answer {
        var arguments = ["curl", "-s", "--max-time", "\(maxTime)", "-X", method, "-w", "\n%{http_code}", self.url + path]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body.jsonText] }
        if let bearer { arguments += ["-H", "Authorization: Bearer \(bearer)"] }
        if let trustedCertificate { arguments += ["--cacert", trustedCertificate] }
        let output = try await Subprocess.run(
            "/usr/bin/env",
            arguments,
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        )
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Answer(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
    }

    /// Stops the process with `signal` and waits for it to exit; returns its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async -> Int32 {
        await self.process.stop(signal: signal)
    }

    /// Kills the process with SIGKILL at once, for a `defer` (``Subprocess/Running/kill()``).
    public func kill() {
        self.process.kill()
    }
}
