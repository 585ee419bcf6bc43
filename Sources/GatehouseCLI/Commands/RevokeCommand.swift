import ArgumentParser
import Foundation
import GatehouseCore

/// `gatehouse revoke --tenant T (--user NAME... | --users-file F | --all) [--env E]`: the
/// admin API's bulk revocation; prints the same counts.
struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke every token of some users, or of all users, of a tenant.",
        discussion: "Prints {\"users\", \"refresh_tokens_revoked\", \"unknown_usernames\", \"unknown_user_ids\"}."
    )

    @Option(help: "The tenant's slug.")
    var tenant: String

    @Option(name: .customLong("user"), help: "A username (repeatable).")
    var users: [String] = []

    @Option(help: "A file of usernames, one a line (- for standard input).")
    var usersFile: String?

    @Flag(help: "Every user of the tenant.")
    var all = false

    @Option(name: .customLong("env"), help: "Only in this environment (default: every environment).")
    var environment: String?

    @OptionGroup var admin: AdminOptions

    func validate() throws {
        let chosen = [!self.users.isEmpty, self.usersFile != nil, self.all].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --user, --users-file and --all") }
    }

    func run() async throws {
        let target: AdminService.RevocationTarget
        if self.all {
            target = .allUsers
        } else if let path = self.usersFile {
            let data: Data
            if path == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                data = contents
            }
            let names = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            target = .usernames(names)
        } else {
            target = .usernames(self.users)
        }
        try await self.admin.withAdmin { admin in
            try AdminOptions.print(try await admin.revoke(tenant: self.tenant, target: target, environment: self.environment, actor: .cli))
        }
    }
}
