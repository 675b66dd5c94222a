import Crypto

/// A SHA-256 value held inline, four words and no allocation: `verify` compares three of them
/// per event, a million times over.
struct EventDigest: Equatable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of exactly 32 bytes; `nil` for any other length (which no SHA-256 has, so a
    /// stored hash of another length never matches).
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        words = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// 32 zero bytes: the previous hash of position 1 (``EventHasher/genesis``).
    init(genesis: ()) { words = (0, 0, 0, 0) }

    init(_ digest: SHA256.Digest) {
        words = digest.withUnsafeBytes { bytes in
            (
                bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            )
        }
    }

    init?(_ bytes: [UInt8]) {
        guard let digest = bytes.withUnsafeBytes({ EventDigest($0) }) else { return nil }
        self = digest
    }

    /// The 32 bytes.
    var bytes: [UInt8] {
        withUnsafeBytes(of: words) { Array($0) }
    }

    static func == (lhs: EventDigest, rhs: EventDigest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }
}
