import Foundation

/// The Python that runs the tests' third-party clients: `GATEHOUSE_TEST_PYTHON` when set
/// (deploy/test.sh sets it), else the first of `python3` on PATH and Debian's
/// `/usr/bin/python3` that imports the modules a script needs (Debian's python3-jwt,
/// python3-selenium).
public enum TestPython {
    public static func interpreter(importing modules: [String]) async throws -> String {
        if let chosen = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_PYTHON"], !chosen.isEmpty { return chosen }
        for candidate in ["python3", "/usr/bin/python3"] {
            let probe = try await Subprocess.run(
                "/usr/bin/env",
                [candidate, "-c", "import " + modules.joined(separator: ", ")],
                environment: ProcessInfo.processInfo.environment
            )
            if probe.status == 0 { return candidate }
        }
        throw SubprocessError(message: "no Python imports \(modules.joined(separator: ", ")); deploy/prerequisites.sh installs them")
    }
}
