public import Foundation
import GatehousePostgres

extension AdminService {
    /// The most lines one import may hold.
    public static let maximumImportLines = 1_000_000

    /// A line, parsed: a user to write, or why not.
    private enum ParsedLine {
        case user(ImportedUser)
        case failure(ImportReport.Line)
    }

    /// One line of an import, checked.
    private struct ImportedUser {
        var line: Int
        var username: String
        var password: String?
        var passwordHash: String?
        var role: String
        var claims: String
        var isActive: Bool
    }

    /// Imports users from JSON lines: `{"username", "password" | "password_hash", "role"?,
    /// "claims"?, "is_active"?}`, where `password_hash` is a Django hash
    /// (`pbkdf2_sha256$...`, `argon2$argon2id$...`) or an Argon2id PHC string.
    ///
    /// Malformed lines fail on their own; the rest is written in batches of `batchSize`, each
    /// all-or-nothing in its own transaction. An existing username (or one repeated in the
    /// input) is skipped, never overwritten, so running the same import again is safe.
    public func importUsers(tenant: String, jsonLines: Data, batchSize: Int, actor: AdminActor) async throws -> ImportReport {
        guard (1...50_000).contains(batchSize) else { throw AdminError.invalid(field: "batch_size", reason: "must be from 1 to 50000") }
        let tenantID = try await self.database.withConnection { try await self.tenantID(tenant, actor: actor, on: $0) }
        var report = ImportReport()
        var accepted: [ImportedUser] = []
        var seen: [String: Int] = [:]
        var lineNumber = 0
        for line in jsonLines.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard lineNumber <= Self.maximumImportLines else {
                throw AdminError.invalid(field: "body", reason: "at most \(Self.maximumImportLines) lines in one import")
            }
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
            switch Self.parseImportLine(line, number: lineNumber) {
            case .failure(let failure):
                report.add(failure)
            case .user(let user):
                if let first = seen[user.username] {
                    report.add(.init(line: lineNumber, username: user.username, status: .skipped, reason: "repeats line \(first)"))
                } else {
                    seen[user.username] = lineNumber
                    accepted.append(user)
                }
            }
        }
        accepted = try await self.hashPlainPasswords(accepted, tenantID: tenantID)

        var failures: [ImportReport.Line] = []
        var start = 0
        while start < accepted.count {
            let batch = Array(accepted[start..<min(start + batchSize, accepted.count)])
            start += batchSize
            do {
                let created = try await self.database.withTransaction { connection in
                    try await connection.query(
                        """
                        INSERT INTO users (tenant_id, username, password_hash, role, claims, is_active)
                        SELECT \(tenantID), username, password_hash, role, claims::jsonb, is_active
                        FROM unnest(\(batch.map(\.username))::text[], \(batch.map { $0.passwordHash ?? "" })::text[],
                                    \(batch.map(\.role))::text[], \(batch.map(\.claims))::text[], \(batch.map(\.isActive))::bool[])
                             AS given (username, password_hash, role, claims, is_active)
                        ON CONFLICT (tenant_id, username) DO NOTHING
                        RETURNING username
                        """
                    ).map { try $0.decode(String.self) }
                }
                let createdNames = Set(created)
                report.created += createdNames.count
                for user in batch where !createdNames.contains(user.username) {
                    failures.append(.init(line: user.line, username: user.username, status: .skipped, reason: "username exists"))
                }
            } catch let error as PostgresError where error.kind == .server {
                for user in batch {
                    failures.append(
                        .init(line: user.line, username: user.username, status: .failed, reason: "batch refused: \(error.sqlState?.rawValue ?? "")")
                    )
                }
            }
        }
        for failure in failures { report.add(failure) }
        report.lines.sort { $0.line < $1.line }
        let summary = report
        try await self.database.withTransaction { connection in
            try await self.audit.record(
                on: connection,
                actor: actor,
                tenantID: tenantID,
                action: "user.import",
                details: [
                    "created": .number(Double(summary.created)), "skipped": .number(Double(summary.skipped)),
                    "failed": .number(Double(summary.failed)),
                ]
            )
        }
        return report
    }

    private static func parseImportLine(_ line: Data.SubSequence, number: Int) -> ParsedLine {
        func failed(_ reason: String, _ username: String? = nil) -> ParsedLine {
            .failure(.init(line: number, username: username, status: .failed, reason: reason))
        }
        guard let object = (try? JSONValue.parse(line))?.objectValue else { return failed("not a JSON object") }
        if let field = object.keys.sorted().first(where: { object[$0]?.containsNUL == true }) {
            return failed("\(field): must not contain NUL characters")
        }
        let known: Set<String> = ["username", "password", "password_hash", "role", "claims", "is_active"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) { return failed("unknown field \(unknown)") }
        guard let username = object["username"]?.stringValue else { return failed("username: must be a string") }
        guard User.isStorableUsername(username) else {
            return failed("username: must be 1 to \(User.maximumUsernameLength) characters", String(username.prefix(User.maximumUsernameLength)))
        }
        let password = object["password"]?.stringValue
        let passwordHash = object["password_hash"]?.stringValue
        guard (password == nil) != (passwordHash == nil) else {
            return failed("exactly one of password and password_hash (strings) is required", username)
        }
        if let password, password.isEmpty { return failed("password: must not be empty", username) }
        if let passwordHash, let refusal = PasswordHasher.refusal(of: passwordHash) {
            return failed("password_hash: \(refusal)", username)
        }
        var role = "user"
        if let value = object["role"] {
            guard let text = value.stringValue, (1...64).contains(text.unicodeScalars.count) else {
                return failed("role: must be 1 to 64 characters", username)
            }
            role = text
        }
        var claims = "{}"
        if let value = object["claims"] {
            guard value.objectValue != nil else { return failed("claims: must be an object", username) }
            claims = value.jsonText
        }
        var isActive = true
        if let value = object["is_active"] {
            guard let flag = value.boolValue else { return failed("is_active: must be true or false", username) }
            isActive = flag
        }
        return .user(
            ImportedUser(
                line: number,
                username: username,
                password: password,
                passwordHash: passwordHash,
                role: role,
                claims: claims,
                isActive: isActive
            )
        )
    }

    /// Hashes the plain passwords with Argon2id on the hasher's bulk share of its threads,
    /// in turn with other tenants' imports, a bounded chunk of tasks at a time.
    private func hashPlainPasswords(_ users: [ImportedUser], tenantID: UUID) async throws -> [ImportedUser] {
        var hashed = users
        let plain = users.indices.filter { users[$0].password != nil }
        for chunk in stride(from: 0, to: plain.count, by: 256) {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in plain[chunk..<min(chunk + 256, plain.count)] {
                    guard let password = users[index].password else { continue }
                    group.addTask { (index, try await self.hasher.hashInBulk(password, tenant: tenantID)) }
                }
                for try await (index, hash) in group {
                    hashed[index].passwordHash = hash
                    hashed[index].password = nil
                }
            }
        }
        return hashed
    }
}
