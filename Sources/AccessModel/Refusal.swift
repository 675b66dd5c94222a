/// Why a command was not carried out: invalid input (exit 2) or a rule of SPEC §2 (exit 3).
///
/// The ``message`` is one line that names the offending value and the rule, without the
/// `error: ` prefix the CLI adds. A refused command appends nothing.
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The two ways a command can be refused, each with its exit code.
    public enum Kind: Sendable, Hashable {
        /// Malformed name, role, lifetime or query; unknown user, group, workspace, token or actor. Exit 2.
        case invalidInput
        /// Not permitted by the rules of SPEC §2 (permissions, existing names, limits). Exit 3.
        case notPermitted
    }

    /// Which kind of refusal this is.
    public var kind: Kind
    /// One line naming the offending value and the rule.
    public var message: String

    /// Creates a refusal of the given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A refusal for invalid input (exit 2).
    public static func invalidInput(_ message: String) -> Refusal { Refusal(.invalidInput, message) }

    /// A refusal by the rules (exit 3).
    public static func notPermitted(_ message: String) -> Refusal { Refusal(.notPermitted, message) }

    /// The process exit code of SPEC §5: 2 for invalid input, 3 for a rule.
    public var exitCode: Int32 {
        switch kind {
        case .invalidInput: return 2
        case .notPermitted: return 3
        }
    }

    public var description: String { message }
}
