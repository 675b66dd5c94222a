import Crypto
import PostgresClient

/// Token secrets: `al_` and 64 hex digits of system randomness. Only their SHA-256 is stored.
public enum TokenSecret {
    /// A new secret.
    public static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...UInt8.max, using: &random) }
        return "al_" + Hex.encode(bytes)
    }

    /// Whether `text` has the form of a secret (`al_` and 64 lowercase hex digits).
    public static func isWellFormed(_ text: some StringProtocol) -> Bool {
        let utf8 = Array(text.utf8)
        return utf8.count == 67 && utf8.starts(with: Array("al_".utf8))
            && utf8.dropFirst(3).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Lowercase hex SHA-256 of the secret's UTF-8 bytes.
    public static func sha256Hex(_ secret: some StringProtocol) -> String {
        Hex.encode(SHA256.hash(data: Array(secret.utf8)))
    }
}
