import ArgumentParser
import Foundation
import GatehouseCore

/// `gatehouse user ...`
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users.",
        subcommands: [Create.self, Import.self]
    )

    /// `gatehouse user create --tenant T USERNAME [--password-stdin] [--role R]`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user; prints the user as the admin API answers it, with a generated \"password\" unless --password-stdin."
        )

        @Option(help: "The tenant's slug.")
        var tenant: String

        @Argument(help: "The username (unique in the tenant, case-sensitive).")
        var username: String

        @Flag(help: "Read the password from the first line of standard input instead of generating one.")
        var passwordStdin = false

        @Option(help: "The user's role.")
        var role = "user"

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let password: String
            var generated: String?
            if self.passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("no password on standard input")
                }
                password = line
            } else {
                password = Self.generatePassword()
                generated = password
            }
            let user = try await self.admin.withAdmin { admin in
                try await admin.createUser(
                    tenant: self.tenant,
                    username: self.username,
                    password: password,
                    role: self.role,
                    claims: nil,
                    isActive: nil,
                    actor: .cli
                )
            }
            guard let generated else { return try AdminOptions.print(user) }
            var answer = try JSONValue.parse(Array(AdminJSON.encode(user))).objectValue ?? [:]
            answer["password"] = .string(generated)
            print(JSONValue.object(answer).jsonText)
        }

        /// 20 characters from an alphabet without look-alikes: about 115 bits.
        static func generatePassword() -> String {
            let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            var generator = SystemRandomNumberGenerator()
            return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
        }
    }

    /// `gatehouse user import --tenant T FILE [--batch-size N]`
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import users from JSON lines; prints the report (created, skipped, failed and why).",
            discussion: """
                Each line: {"username", "password" | "password_hash", "role"?, "claims"?, "is_active"?}; password_hash is a \
                Django hash (pbkdf2_sha256$..., argon2$argon2id$...) or an Argon2id PHC string. Existing usernames are \
                skipped. Exits 1 when a line failed.
                """
        )

        @Option(help: "The tenant's slug.")
        var tenant: String

        @Argument(help: "The JSON lines file (- for standard input).")
        var file: String

        @Option(help: "Lines per transaction: each batch is written whole or not at all.")
        var batchSize = 1000

        @OptionGroup var admin: AdminOptions

        func run() async throws {
            let data: Data
            if self.file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: self.file) else { throw ValidationError("cannot read \(self.file)") }
                data = contents
            }
            let report = try await self.admin.withAdmin { admin in
                try await admin.importUsers(tenant: self.tenant, jsonLines: data, batchSize: self.batchSize, actor: .cli)
            }
            try AdminOptions.print(report)
            if report.failed > 0 {
                throw ValidationError("\(report.failed) of \(report.created + report.skipped + report.failed) lines failed (see the report)")
            }
        }
    }
}
