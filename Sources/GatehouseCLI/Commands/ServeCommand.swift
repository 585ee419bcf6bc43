import ArgumentParser
import GatehouseHTTP
import GatehousePostgres
import Hummingbird
import Logging

/// `gatehouse serve`: runs the HTTP service until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service."
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8080

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = Logger(label: "gatehouse")
        let client = PostgresClient(configuration: try self.database.configuration(), logger: logger)
        let application = GatehouseApplication.make(host: self.host, port: self.port, database: client, logger: logger)
        try await application.runService()
    }
}
