public import Foundation
public import Logging

/// Applies numbered SQL files to a database, each once, in order, each in a transaction.
///
/// Files are named `NNNN_description.sql`. Applied files are recorded with a checksum in
/// `gatehouse_migrations`; changing a file after it was applied is an error, not a silent
/// skip. A session advisory lock makes concurrent runs (two instances starting at once)
/// take turns, so each file is applied exactly once.
public struct PostgresMigrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Hashable {
        public var version: Int
        public var name: String
        public var sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    /// The advisory lock key that serializes migrations (`'gatehouse.migrate'` hashed once).
    static let lockKey: Int64 = 0x6761_7465_6d69_6772

    private let client: PostgresClient
    private let logger: Logger

    /// - Parameters:
    ///   - client: the database to migrate.
    ///   - logger: where each applied file is reported.
    public init(client: PostgresClient, logger: Logger = Logger(label: "gatehouse.migrate")) {
        self.client = client
        self.logger = logger
    }

    /// Reads the migrations of a directory, ordered by version.
    /// - Parameter directory: a directory of `NNNN_description.sql` files.
    /// - Throws: ``MigrationError`` for a misnamed file or a repeated version.
    public static func migrations(in directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError(message: "cannot read migrations directory \(directory.path): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let stem = name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError(message: "migration file \(name) is not named NNNN_description.sql")
            }
            if migrations.contains(where: { $0.version == version }) {
                throw MigrationError(message: "two migration files have version \(version)")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem), sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Applies the migrations that are not applied yet.
    /// - Parameter migrations: every migration, as from ``migrations(in:)``.
    /// - Returns: the migrations this call applied (empty when the database was up to date).
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Migration] {
        try await self.client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            do {
                let applied = try await self.applyPending(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                return applied
            } catch {
                // The lock is the session's: if unlocking fails, the connection is broken
                // and closing it releases the lock.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
        }
    }

    private func applyPending(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.execute(
            unsafeSQL: """
                CREATE TABLE IF NOT EXISTS gatehouse_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
        )
        var applied: [Migration] = []
        for migration in migrations {
            let recorded = try await connection.query(
                """
                SELECT checksum = encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex')
                FROM gatehouse_migrations WHERE version = \(migration.version)
                """
            )
            if let row = recorded.first {
                guard try row.decode(Bool.self) else {
                    throw MigrationError(message: "migration \(migration.name) was changed after it was applied")
                }
                continue
            }
            try await connection.query("BEGIN")
            do {
                try await connection.execute(unsafeSQL: migration.sql)
                try await connection.query(
                    """
                    INSERT INTO gatehouse_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex'))
                    """
                )
                try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw MigrationError(message: "migration \(migration.name) failed: \(error)")
            }
            self.logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }
}

/// A migration could not be read or applied.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public var description: String { self.message }
}
