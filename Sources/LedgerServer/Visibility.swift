import AccessModel
import LedgerService
import LedgerStore

/// Who may see what (SPEC §7): site `owner`, `user-admin` and `auditor` see everything; any
/// other user sees the workspaces they own or on which their effective role is not none, their
/// own user and their own tokens. Anything else answers 404, exactly as if it did not exist.
enum Visibility {
    /// Whether `principal` may see `workspace` (read through `reader`, at the point asked about).
    static func canSee(_ workspace: WorkspaceRecord, _ principal: Principal, reader: some LedgerReader) throws -> Bool {
        try ReadAccess.mayRead(workspace, user: principal.user, reader: reader)
    }

    /// The workspace holding `reference` that `principal` may see.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a malformed reference,
    ///   ``LedgerError/notFound(_:)`` for an unknown one or one the principal may not see.
    static func workspace(_ reference: String, for principal: Principal, reader: some LedgerReader) throws
        -> WorkspaceRecord
    {
        let parsed: WorkspaceReference
        do { parsed = try WorkspaceReference(parsing: reference) } catch {
            throw LedgerError.invalidInput(error.message)
        }
        guard let workspace = try reader.workspace(ownerKey: parsed.owner.key, nameKey: parsed.name.key),
            try canSee(workspace, principal, reader: reader)
        else { throw LedgerError.notFound("unknown workspace \(DisplayText.quoted(reference))") }
        return workspace
    }

    /// The user named in a path: any user for those who read everything, else only themselves.
    /// - Throws: ``LedgerError/notFound(_:)``.
    static func user(_ username: String, for principal: Principal, reader: some LedgerReader) throws -> UserRecord {
        guard let user = try reader.user(key: Name.key(username)),
            principal.readsEverything || user.key == principal.user.key
        else { throw LedgerError.notFound("unknown user \(DisplayText.quoted(username))") }
        return user
    }

    /// A user named in the path of a mutation must exist (the rules decide who may change them).
    /// - Throws: ``LedgerError/notFound(_:)``.
    static func existingUser(_ username: String, reader: some LedgerReader) throws {
        guard try reader.user(key: Name.key(username)) != nil else {
            throw LedgerError.notFound("unknown user \(DisplayText.quoted(username))")
        }
    }

    /// A group named in the path of a mutation must exist and not be deleted.
    /// - Throws: ``LedgerError/notFound(_:)``.
    static func existingGroup(_ name: String, reader: some LedgerReader) throws {
        let key = Name.key(name)
        let group = try reader.group(key: key)
        guard key == GroupRecord.everyoneKey || group.map({ !$0.isDeleted }) == true else {
            throw LedgerError.notFound("unknown group \(DisplayText.quoted(name))")
        }
    }

    /// A token named in the path of a mutation must exist.
    /// - Throws: ``LedgerError/notFound(_:)``.
    static func existingToken(user: String, name: String, reader: some LedgerReader) throws {
        guard try reader.token(userKey: Name.key(user), nameKey: Name.key(name)) != nil else {
            throw LedgerError.notFound("unknown token \(DisplayText.quoted(user + "/" + name))")
        }
    }
}
