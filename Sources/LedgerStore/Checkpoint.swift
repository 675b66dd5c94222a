import AccessModel
import Crypto
import Foundation
import PostgresClient

/// A signed statement that the log had a given head: "at `signedAt`, position `position` had
/// hash `hash`", signed with an Ed25519 key kept outside the database.
///
/// The chain alone is unkeyed: someone with the database superuser's rights can rewrite every
/// row and recompute every hash. A checkpoint kept elsewhere (a file, a ticket, a mail) cannot be
/// recomputed without the private key, so `verify --checkpoints` catches such a rewrite.
///
/// A checkpoint is one line of canonical JSON (the encoding of the hash chain, README):
/// `{"hash","key","occurred_at","position","signature","signed_at","v":1}`, where `key` is the
/// public key (64 hex digits), and `signature` (128 hex digits) is Ed25519 over the canonical
/// JSON of the same object without `signature`.
public struct Checkpoint: Sendable, Equatable {
    public static let version: Int64 = 1

    /// The head's position (0 for an empty log).
    public var position: Int64
    /// The head's hash (32 zero bytes for an empty log).
    public var hash: [UInt8]
    /// `occurred_at` of the head event (`nil` for an empty log).
    public var occurredAt: Timestamp?
    /// The database's clock when the checkpoint was signed.
    public var signedAt: Timestamp
    /// The raw 32-byte Ed25519 public key that signed it.
    public var publicKey: [UInt8]
    /// The 64-byte Ed25519 signature of ``signedMessage``.
    public var signature: [UInt8]

    public init(
        position: Int64, hash: [UInt8], occurredAt: Timestamp?, signedAt: Timestamp, publicKey: [UInt8],
        signature: [UInt8]
    ) {
        self.position = position
        self.hash = hash
        self.occurredAt = occurredAt
        self.signedAt = signedAt
        self.publicKey = publicKey
        self.signature = signature
    }

    /// The bytes that are signed: the canonical JSON of every field but the signature.
    public var signedMessage: [UInt8] { unsigned.canonicalBytes() }

    var unsigned: JSONValue {
        .object([
            "v": .int(Checkpoint.version),
            "position": .int(position),
            "hash": .string(Hex.encode(hash)),
            "occurred_at": occurredAt.map { .string($0.canonical) } ?? .null,
            "signed_at": .string(signedAt.canonical),
            "key": .string(Hex.encode(publicKey)),
        ])
    }

    /// The checkpoint as one line (no newline).
    public var line: String {
        guard case .object(var members) = unsigned else { return "" }
        members["signature"] = .string(Hex.encode(signature))
        return JSONValue.object(members).canonicalString
    }

    /// Signs the head `position`/`hash` with `key`.
    public static func sign(
        position: Int64, hash: [UInt8], occurredAt: Timestamp?, signedAt: Timestamp,
        key: Curve25519.Signing.PrivateKey
    ) throws -> Checkpoint {
        var checkpoint = Checkpoint(
            position: position, hash: hash, occurredAt: occurredAt, signedAt: signedAt,
            publicKey: Array(key.publicKey.rawRepresentation), signature: [])
        checkpoint.signature = Array(try key.signature(for: checkpoint.signedMessage))
        return checkpoint
    }

    /// Whether the signature is valid for `publicKey` (the trusted key, not the one the line names).
    public func isSigned(by publicKey: Curve25519.Signing.PublicKey) -> Bool {
        Array(publicKey.rawRepresentation) == self.publicKey
            && publicKey.isValidSignature(signature, for: signedMessage)
    }

    /// Parses one line written by ``line``.
    /// - Throws: ``LedgerError/invalidInput(_:)`` saying what is malformed.
    public init(parsing text: String) throws {
        func malformed(_ why: String) -> LedgerError {
            LedgerError.invalidInput("not a checkpoint line (\(why)): \(DisplayText.quoted(String(text.prefix(80))))")
        }
        guard let json = try? JSONValue.parse(text), case .object(let members) = json else {
            throw malformed("expected one JSON object")
        }
        guard Set(members.keys) == ["v", "position", "hash", "occurred_at", "signed_at", "key", "signature"] else {
            throw malformed("expected the keys v, position, hash, occurred_at, signed_at, key, signature")
        }
        guard members["v"]?.intValue == Checkpoint.version else { throw malformed("unknown version") }
        guard let position = members["position"]?.intValue, position >= 0 else { throw malformed("bad position") }
        guard let hash = members["hash"]?.stringValue.flatMap(Hex.decode), hash.count == 32 else {
            throw malformed("bad hash")
        }
        let occurredAt: Timestamp?
        switch members["occurred_at"] {
        case .null?: occurredAt = nil
        case .string(let text)?:
            guard let time = Timestamp(rfc3339: text) else { throw malformed("bad occurred_at") }
            occurredAt = time
        default: throw malformed("bad occurred_at")
        }
        guard let signedAt = members["signed_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else {
            throw malformed("bad signed_at")
        }
        guard let key = members["key"]?.stringValue.flatMap(Hex.decode), key.count == 32 else {
            throw malformed("bad key")
        }
        guard let signature = members["signature"]?.stringValue.flatMap(Hex.decode), signature.count == 64 else {
            throw malformed("bad signature")
        }
        self.init(
            position: position, hash: hash, occurredAt: occurredAt, signedAt: signedAt, publicKey: key,
            signature: signature)
    }
}

/// The Ed25519 key that signs checkpoints, kept in PEM files outside the database: the private
/// key (PKCS #8, mode 0600) and its public key beside it (`FILE.pub`, SubjectPublicKeyInfo), the
/// forms `openssl pkey` and Python's `cryptography` read.
public enum CheckpointKey {
    /// `ACCESSLEDGER_HOME/checkpoint-key.pem`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        LocalCluster.defaultHome(environment: environment) + "/checkpoint-key.pem"
    }

    static let privatePrefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    static let publicPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The key at `path`, created (with its `.pub`) when the file does not exist.
    /// - Returns: the key and whether it was created now.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a key file that others may read or that is
    ///   not an Ed25519 private key.
    public static func loadOrCreate(at path: String) throws -> (key: Curve25519.Signing.PrivateKey, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try load(at: path), false) }
        let key = Curve25519.Signing.PrivateKey()
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try write(pem("PRIVATE KEY", privatePrefix + key.rawRepresentation), to: path, mode: 0o600, exclusive: true)
        try write(publicPEM(key.publicKey), to: path + ".pub", mode: 0o644, exclusive: false)
        return (key, true)
    }

    /// Reads a private key, refusing one that group or others may read.
    public static func load(at path: String) throws -> Curve25519.Signing.PrivateKey {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw LedgerError.invalidInput("cannot read the checkpoint key \(DisplayText.quoted(path)): no such file")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw LedgerError.invalidInput("the checkpoint key \(DisplayText.quoted(path)) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw LedgerError.invalidInput(
                "the checkpoint key \(DisplayText.quoted(path)) may be read by others (mode "
                    + String(info.st_mode & 0o777, radix: 8) + "): run chmod 600 on it")
        }
        let der = try readPEM(at: path, label: "PRIVATE KEY")
        guard der.count == privatePrefix.count + 32, Array(der.prefix(privatePrefix.count)) == privatePrefix,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
        else {
            throw LedgerError.invalidInput("\(DisplayText.quoted(path)) is not an Ed25519 private key")
        }
        return key
    }

    /// Reads a public key (`FILE.pub`, or any SubjectPublicKeyInfo PEM of an Ed25519 key).
    public static func loadPublic(at path: String) throws -> Curve25519.Signing.PublicKey {
        let der = try readPEM(at: path, label: "PUBLIC KEY")
        guard der.count == publicPrefix.count + 32, Array(der.prefix(publicPrefix.count)) == publicPrefix,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))
        else {
            throw LedgerError.invalidInput("\(DisplayText.quoted(path)) is not an Ed25519 public key")
        }
        return key
    }

    /// The PEM text of a public key.
    public static func publicPEM(_ key: Curve25519.Signing.PublicKey) -> String {
        pem("PUBLIC KEY", publicPrefix + key.rawRepresentation)
    }

    static func pem(_ label: String, _ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }

    static func readPEM(at path: String, label: String) throws -> [UInt8] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LedgerError.invalidInput("cannot read \(DisplayText.quoted(path))")
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"),
            let end = lines.firstIndex(of: "-----END \(label)-----"), begin < end,
            let der = Data(base64Encoded: lines[(begin + 1)..<end].joined())
        else {
            throw LedgerError.invalidInput("\(DisplayText.quoted(path)) holds no PEM \(label)")
        }
        return Array(der)
    }

    static func write(_ text: String, to path: String, mode: mode_t, exclusive: Bool) throws {
        try CheckpointFile.write(text, to: path, mode: mode, how: exclusive ? O_EXCL : O_TRUNC)
    }
}

/// Files accessledger writes (the checkpoint key and checkpoints, reports): written whole, never
/// through a symbolic link.
public enum CheckpointFile {
    /// Writes a whole file (created or replaced, 0644; never through a symbolic link).
    public static func write(_ text: String, to path: String) throws {
        try write(text, to: path, mode: 0o644, how: O_TRUNC)
    }

    /// Appends a signed line to a checkpoint file (created 0644).
    public static func append(_ line: String, to path: String) throws {
        try write(line, to: path, mode: 0o644, how: O_APPEND)
    }

    /// Writes `text` to `path` opened with `how` (`O_EXCL`, `O_TRUNC` or `O_APPEND`) and `mode`.
    /// - Throws: ``LedgerError/invalidInput(_:)`` when the file cannot be opened, naming it.
    static func write(_ text: String, to path: String, mode: mode_t, how: Int32) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | how, mode)
        guard descriptor >= 0 else {
            throw LedgerError.invalidInput(
                "cannot open \(DisplayText.quoted(path)): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { buffer in
            buffer.baseAddress.map { Foundation.write(descriptor, $0, buffer.count) } ?? 0
        }
        guard written == bytes.count, how == O_APPEND || fchmod(descriptor, mode) == 0 else {
            throw LedgerError.internal("cannot write \(DisplayText.quoted(path)): \(String(cString: strerror(errno)))")
        }
    }
}

extension EventStore {
    /// Verifies the whole log (as ``verify(expectHeads:progress:)``) and signs its head, in one
    /// snapshot: a checkpoint never vouches for a log that does not verify.
    /// - Throws: ``LedgerError/verificationFailed(_:)`` naming the problem when the log does not
    ///   verify; nothing is signed then.
    public func signCheckpoint(with key: Curve25519.Signing.PrivateKey, progress: (Int64) -> Void = { _ in })
        throws -> Checkpoint
    {
        try inOneSnapshot { store, projected in
            let report = try store.verifyLog(expectHeads: [], projectedPosition: projected, progress: progress)
            guard report.ok else {
                throw LedgerError.verificationFailed(
                    "the log does not verify at position \(report.firstBadPosition ?? 0): "
                        + "\(report.problem ?? "unknown problem"); nothing was signed")
            }
            let position = report.head?.position ?? 0
            let row = try store.connection.query(
                """
                SELECT (SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint FROM ledger_events
                        WHERE position = $1),
                       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
                """, [position]
            ).first
            return try Checkpoint.sign(
                position: position, hash: report.head.flatMap { Hex.decode($0.hash) } ?? EventHasher.genesis,
                occurredAt: try row?.optionalInt64(0).map(Timestamp.init(microseconds:)),
                signedAt: Timestamp(microseconds: try row?.int64(1) ?? 0), key: key)
        }
    }
}
