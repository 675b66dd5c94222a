import Crypto
import PostgresClient

/// Webhook signing secrets and signatures (SPEC §8): `whsec_` and 64 hex digits of system
/// randomness; `X-AccessLedger-Signature: sha256=HEX`, the HMAC-SHA256 of the body.
public enum WebhookSecret {
    /// A new secret.
    public static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        return "whsec_" + Hex.encode((0..<32).map { _ in UInt8.random(in: 0...UInt8.max, using: &random) })
    }

    /// The header value: `sha256=` and the lowercase hex HMAC-SHA256 of `body` keyed with the
    /// secret's UTF-8 bytes.
    public static func signature(of body: some Sequence<UInt8>, secret: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        return "sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(body), using: key))
    }
}
