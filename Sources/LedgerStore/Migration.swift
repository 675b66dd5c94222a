import Crypto
import PostgresClient

/// One file of `sql/`, embedded in the binary (see `tools/gen-migrations`).
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the SQL text, recorded when applied so that an edited migration is noticed.
    public var checksum: String { Hex.encode(SHA256.hash(data: Array(sql.utf8))) }
}

/// Applies the embedded migrations in order, recording each in `ledger_migrations`.
///
/// Idempotent, and safe when several processes migrate at once: they serialise on a session
/// advisory lock, and each migration runs in its own transaction together with its record.
public enum Migrator {
    /// Advisory lock key held while migrating ("alMIGRAT").
    static let lockKey: Int64 = 0x616c_4d49_4752_4154

    /// The outcome of ``migrate(_:migrations:)``.
    public struct Report: Sendable, Equatable {
        public var applied: [String]
        public var current: Int
    }

    /// Brings the database up to the latest migration.
    /// - Throws: ``LedgerError`` when an applied migration's checksum differs from the embedded
    ///   one, or the database refuses a statement.
    @discardableResult
    public static func migrate(_ connection: Connection, migrations: [Migration] = Migration.all) throws -> Report {
        try connection.query("SELECT pg_advisory_lock($1)", [lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [lockKey]) }
        try connection.query(
            """
            CREATE TABLE IF NOT EXISTS ledger_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let recorded = try connection.query("SELECT version, name, checksum FROM ledger_migrations ORDER BY version")
        var known: [Int: (name: String, checksum: String)] = [:]
        for row in recorded.rows {
            known[Int(try row.int64(0))] = (try row.string(1), try row.string(2))
        }
        var applied: [String] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            if let existing = known[migration.version] {
                guard existing.checksum == migration.checksum else {
                    throw LedgerError.internal(
                        "migration \(migration.name) was changed after it was applied (checksum differs); "
                            + "add a new migration instead of editing an applied one")
                }
                continue
            }
            try connection.transaction { tx in
                try tx.execute(script: migration.sql)
                try tx.query(
                    "INSERT INTO ledger_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
            }
            applied.append(migration.name)
        }
        return Report(applied: applied, current: migrations.map(\.version).max() ?? 0)
    }

    /// The highest applied version, or `nil` when the database was never migrated.
    public static func currentVersion(_ connection: Connection) throws -> Int? {
        let row = try connection.query(
            "SELECT CASE WHEN to_regclass('ledger_migrations') IS NULL THEN NULL ELSE -1 END"
        ).first
        guard row?[0] != nil else { return nil }
        return try connection.query("SELECT max(version) FROM ledger_migrations").first?.optionalInt64(0).map(Int.init)
    }
}
