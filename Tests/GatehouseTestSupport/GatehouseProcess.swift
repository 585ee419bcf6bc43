public import Foundation

/// Runs the built `gatehouse` executable as a real process.
public enum GatehouseProcess {
    /// The `gatehouse` binary in the build folder of the test bundle.
    public static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("gatehouse")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return TestPostgres.repositoryRoot.appendingPathComponent(".build/debug/gatehouse")
    }

    /// Runs `gatehouse` with `arguments` to completion.
    /// - Parameters:
    ///   - arguments: the command line after the program name.
    ///   - environment: variables set in (or, when empty, removed from) this process's environment.
    ///   - input: what to write to its standard input.
    public static func run(_ arguments: [String], environment: [String: String], input: String? = nil) async throws -> Subprocess.Output {
        var merged = ProcessInfo.processInfo.environment
        for (name, value) in environment {
            merged[name] = value.isEmpty ? nil : value
        }
        return try await Subprocess.run(self.executable.path, arguments, environment: merged, input: input)
    }
}
