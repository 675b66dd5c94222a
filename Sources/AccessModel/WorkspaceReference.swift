/// A workspace named as `OWNER/NAME` on the command line.
///
/// The reference means the workspace that holds that name at the point asked about; resolving
/// it is the reader's job (``LedgerReader/workspace(ownerKey:nameKey:)``).
public struct WorkspaceReference: Sendable, Hashable, CustomStringConvertible {
    /// The owner's username as written.
    public var owner: Name
    /// The workspace name as written.
    public var name: Name

    /// A reference from already-validated parts.
    public init(owner: Name, name: Name) {
        self.owner = owner
        self.name = name
    }

    /// Parses `OWNER/NAME` strictly: exactly one `/`, and both parts valid names.
    /// - Throws: ``Refusal`` (exit 2) naming the whole text and what is wrong with it.
    public init(parsing text: String) throws(Refusal) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidInput("invalid workspace \(quoted(text)): expected OWNER/NAME")
        }
        let ownerText = String(parts[0])
        let nameText = String(parts[1])
        guard Name.isValid(ownerText) else {
            throw .invalidInput(
                "invalid workspace \(quoted(text)): owner \(quoted(ownerText)) is not a valid user name "
                    + "(\(Name.ruleDescription))")
        }
        guard Name.isValid(nameText) else {
            throw .invalidInput(
                "invalid workspace \(quoted(text)): \(quoted(nameText)) is not a valid workspace name "
                    + "(\(Name.ruleDescription))")
        }
        self.owner = try Name(ownerText, kind: .user)
        self.name = try Name(nameText, kind: .workspace)
    }

    /// `OWNER/NAME` as written.
    public var description: String { "\(owner.value)/\(name.value)" }
}

extension WorkspaceReference {
    /// The non-deleted workspace holding this name in `reader`'s state.
    /// - Throws: ``Refusal`` (exit 2) `unknown workspace "OWNER/NAME"`, or what the reader throws.
    public func resolve(in reader: some LedgerReader) throws -> WorkspaceRecord {
        guard let workspace = try reader.workspace(ownerKey: owner.key, nameKey: name.key) else {
            throw Refusal.invalidInput("unknown workspace \(quoted(description))")
        }
        return workspace
    }
}
