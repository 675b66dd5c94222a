/// A user or group with a role, as given to `sharing share --user alice:admin` and as stored in
/// an ACL or a `workspace_shared` event.
public struct ShareEntry: Sendable, Hashable, CustomStringConvertible {
    /// The user or group name (as written, or as stored when read back).
    public var name: String
    /// The role granted.
    public var role: WorkspaceRole

    /// An entry from parts; `name` is not validated here.
    public init(name: String, role: WorkspaceRole) {
        self.name = name
        self.role = role
    }

    /// The identity of ``name`` (lowercased).
    public var key: String { Name.key(name) }

    /// `name:role`.
    public var description: String { "\(name):\(role.rawValue)" }

    /// Parses one entry `NAME[:ROLE]`; the whole entry must match (no silent truncation), the role
    /// is case-sensitive `use` or `admin`, and an omitted role means `use`.
    /// - Parameter kind: `.user` or `.group`, for messages.
    /// - Throws: ``Refusal`` (exit 2) naming the entry, e.g.
    ///   `invalid user entry "alice_bob:admin": "alice_bob" is not a valid name (…)`.
    public init(parsing entry: String, kind: NameKind) throws(Refusal) {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw .invalidInput("invalid \(kind.rawValue) entry \(quoted(entry)): expected NAME or NAME:ROLE")
        }
        let nameText = String(parts[0])
        guard Name.isValid(nameText) else {
            throw .invalidInput(
                "invalid \(kind.rawValue) entry \(quoted(entry)): \(quoted(nameText)) is not a valid name "
                    + "(\(Name.ruleDescription))")
        }
        var role = WorkspaceRole.use
        if parts.count == 2 {
            let roleText = String(parts[1])
            guard let parsed = WorkspaceRole(rawValue: roleText) else {
                throw .invalidInput(
                    "invalid \(kind.rawValue) entry \(quoted(entry)): role must be \"use\" or \"admin\", "
                        + "not \(quoted(roleText))")
            }
            role = parsed
        }
        self.init(name: nameText, role: role)
    }

    /// Parses the values of a repeatable, comma-separated `--user`/`--group` flag into entries.
    ///
    /// An empty value (`--user ''`) or an empty entry between commas is an error naming it. A name
    /// listed twice (case-insensitively, whatever the roles) is an error naming it.
    /// - Throws: ``Refusal`` (exit 2).
    public static func parseList(_ values: [String], kind: NameKind) throws(Refusal) -> [ShareEntry] {
        var entries: [ShareEntry] = []
        var seen: Set<String> = []
        for piece in try splitList(values, kind: kind, emptyValueMeansNone: false) {
            let entry = try ShareEntry(parsing: piece, kind: kind)
            guard seen.insert(entry.key).inserted else {
                throw .invalidInput("\(kind.rawValue) \(quoted(entry.name)) is listed more than once")
            }
            entries.append(entry)
        }
        return entries
    }

    /// Parses the values of a repeatable, comma-separated flag of plain names (`--rm-users`,
    /// `sharing remove --user`, `groups sync --groups`), with the rules of ``parseList(_:kind:)``.
    /// - Parameter emptyValueMeansNone: an empty value lists no names (`groups sync --groups ''`:
    ///   a login that claims no group) instead of being an error.
    /// - Throws: ``Refusal`` (exit 2) naming the bad or repeated name.
    public static func parseNames(
        _ values: [String], kind: NameKind, emptyValueMeansNone: Bool = false
    ) throws(Refusal) -> [Name] {
        var names: [Name] = []
        var seen: Set<String> = []
        for piece in try splitList(values, kind: kind, emptyValueMeansNone: emptyValueMeansNone) {
            let name = try Name(piece, kind: kind)
            guard seen.insert(name.key).inserted else {
                throw .invalidInput("\(kind.rawValue) \(quoted(name.value)) is listed more than once")
            }
            names.append(name)
        }
        return names
    }

    static func splitList(_ values: [String], kind: NameKind, emptyValueMeansNone: Bool) throws(Refusal)
        -> [String]
    {
        var pieces: [String] = []
        for value in values {
            guard !value.isEmpty else {
                if emptyValueMeansNone { continue }
                throw .invalidInput("invalid \(kind.rawValue) entry \"\": a name is required")
            }
            for piece in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard !piece.isEmpty else {
                    throw .invalidInput("empty \(kind.rawValue) entry in \(quoted(value))")
                }
                pieces.append(String(piece))
            }
        }
        return pieces
    }
}
