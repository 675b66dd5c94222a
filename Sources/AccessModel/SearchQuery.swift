/// A parsed `list --search` query (SPEC §5): optional filters, all of which must hold.
///
/// Names are kept as written; compare them case-insensitively (``Name/key(_:)``). The CLI turns
/// the filters into parameterised SQL; ``matches(_:acl:access:)`` is the same meaning in memory.
///
/// Syntax: terms separated by white space, ANDed. `KEY:VALUE` with a case-insensitive key, each
/// key at most once; a bare term is a name search (`NAME`, a substring) or `OWNER/NAME` (both
/// exact), and counts as the key `name` (and `owner`), as in Coder.
public struct SearchQuery: Sendable, Hashable {
    /// How the workspace name is matched. Values are lowercased.
    public enum NameFilter: Sendable, Hashable {
        /// The name contains the text (`name:SUBSTRING`, bare `NAME`).
        case contains(String)
        /// The name is the text (the name part of a bare `OWNER/NAME`).
        case equals(String)
    }

    /// The keys, as accepted.
    public static let keys = [
        "owner", "name", "status", "shared", "shared_with_user", "shared_with_group", "has_access",
        "pending_revocation",
    ]

    /// `owner:NAME`: the owner's username.
    public var owner: String?
    /// `name:SUBSTRING`, bare `NAME`, or the name of `OWNER/NAME`.
    public var name: NameFilter?
    /// `status:running|stopped`.
    public var status: WorkspaceStatus?
    /// `shared:true|false`: the ACL is non-empty / empty.
    public var shared: Bool?
    /// `shared_with_user:NAME`: a direct user entry (not through a group).
    public var sharedWithUser: String?
    /// `shared_with_group:NAME`: a group entry.
    public var sharedWithGroup: String?
    /// `has_access:NAME`: the user's effective role is not none (direct or through any group).
    public var hasAccess: String?
    /// `pending_revocation:true|false`: some user on it is in state `pending_revocation` / none is.
    public var pendingRevocation: Bool?

    /// A query; no filter matches every non-deleted workspace.
    public init(
        owner: String? = nil, name: NameFilter? = nil, status: WorkspaceStatus? = nil, shared: Bool? = nil,
        sharedWithUser: String? = nil, sharedWithGroup: String? = nil, hasAccess: String? = nil,
        pendingRevocation: Bool? = nil
    ) {
        self.owner = owner
        self.name = name
        self.status = status
        self.shared = shared
        self.sharedWithUser = sharedWithUser
        self.sharedWithGroup = sharedWithGroup
        self.hasAccess = hasAccess
        self.pendingRevocation = pendingRevocation
    }

    /// Parses a query without checking that the users and groups it names exist.
    /// - Throws: ``Refusal`` (exit 2) naming the offending term: unknown key, repeated key,
    ///   empty key or value, malformed name, or a value outside `running|stopped` / `true|false`.
    public static func parse(_ text: String) throws(Refusal) -> SearchQuery {
        var query = SearchQuery()
        for term in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) {
            try query.add(String(term))
        }
        return query
    }

    /// Parses a query and checks that every user (`owner`, `shared_with_user`, `has_access`) and
    /// group (`shared_with_group`) it names exists (deleted ones count as existing).
    /// - Throws: ``Refusal`` (exit 2) naming the term, or what the reader throws.
    public static func parse(_ text: String, checkingNamesIn reader: some LedgerReader) throws -> SearchQuery {
        var query = SearchQuery()
        for term in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) {
            let before = query
            try query.add(String(term))
            for (old, new, isUser) in [
                (before.owner, query.owner, true), (before.sharedWithUser, query.sharedWithUser, true),
                (before.hasAccess, query.hasAccess, true), (before.sharedWithGroup, query.sharedWithGroup, false),
            ] {
                guard old == nil, let name = new else { continue }
                if isUser {
                    guard try reader.user(key: Name.key(name)) != nil else {
                        throw Refusal.invalidInput(
                            "invalid search term \(quoted(String(term))): unknown user \(quoted(name))")
                    }
                } else if Name.key(name) != GroupRecord.everyoneKey, try reader.group(key: Name.key(name)) == nil {
                    throw Refusal.invalidInput(
                        "invalid search term \(quoted(String(term))): unknown group \(quoted(name))")
                }
            }
        }
        return query
    }

    private mutating func add(_ term: String) throws(Refusal) {
        func fail(_ problem: String) -> Refusal {
            .invalidInput("invalid search term \(quoted(term)): \(problem)")
        }
        guard let colon = term.firstIndex(of: ":") else {
            if term.contains("/") {
                let reference: WorkspaceReference
                do { reference = try WorkspaceReference(parsing: term) } catch { throw fail("expected OWNER/NAME") }
                guard owner == nil else { throw fail("key \"owner\" given more than once") }
                guard name == nil else { throw fail("key \"name\" given more than once") }
                owner = reference.owner.value
                name = .equals(reference.name.key)
            } else {
                guard SearchQuery.isNameFragment(term) else {
                    throw fail("a name contains only letters, digits and hyphens (at most 32 characters)")
                }
                guard name == nil else { throw fail("key \"name\" given more than once") }
                name = .contains(Name.key(term))
            }
            return
        }
        let key = Name.key(String(term[..<colon]))
        let value = String(term[term.index(after: colon)...])
        guard !key.isEmpty else { throw fail("empty key") }
        guard SearchQuery.keys.contains(key) else {
            throw fail("unknown key \(quoted(key)) (expected one of \(SearchQuery.keys.joined(separator: ", ")))")
        }
        guard !value.isEmpty else { throw fail("empty value") }
        func userName() throws(Refusal) -> String {
            guard Name.isValid(value) else { throw fail("\(quoted(value)) is not a valid user name") }
            return value
        }
        func boolean() throws(Refusal) -> Bool {
            switch Name.key(value) {
            case "true": return true
            case "false": return false
            default: throw fail("expected true or false")
            }
        }
        func once<T>(_ current: T?) throws(Refusal) {
            if current != nil { throw fail("key \(quoted(key)) given more than once") }
        }
        switch key {
        case "owner":
            try once(owner)
            owner = try userName()
        case "name":
            try once(name)
            guard SearchQuery.isNameFragment(value) else {
                throw fail("a name contains only letters, digits and hyphens (at most 32 characters)")
            }
            name = .contains(Name.key(value))
        case "status":
            try once(status)
            switch Name.key(value) {
            case "running": status = .running
            case "stopped": status = .stopped
            default: throw fail("expected running or stopped")
            }
        case "shared":
            try once(shared)
            shared = try boolean()
        case "shared_with_user":
            try once(sharedWithUser)
            sharedWithUser = try userName()
        case "shared_with_group":
            try once(sharedWithGroup)
            guard Name.isValid(value) else { throw fail("\(quoted(value)) is not a valid group name") }
            sharedWithGroup = value
        case "has_access":
            try once(hasAccess)
            hasAccess = try userName()
        default:  // "pending_revocation"
            try once(pendingRevocation)
            pendingRevocation = try boolean()
        }
    }

    static func isNameFragment(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= Name.maximumLength
            && text.utf8.allSatisfy { Name.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// Whether a workspace matches every filter. Deleted workspaces never match.
    /// - Parameters:
    ///   - workspace: the workspace.
    ///   - acl: its ACL.
    ///   - access: its access rows.
    public func matches(_ workspace: WorkspaceRecord, acl: WorkspaceACL, access: [AccessRow]) -> Bool {
        guard workspace.status != .deleted else { return false }
        if let owner, workspace.ownerKey != Name.key(owner) { return false }
        switch name {
        case .contains(let text)?: if !workspace.nameKey.contains(text) { return false }
        case .equals(let text)?: if workspace.nameKey != text { return false }
        case nil: break
        }
        if let status, workspace.status != status { return false }
        if let shared, acl.isEmpty == shared { return false }
        if let user = sharedWithUser, acl.role(ofUser: Name.key(user)) == nil { return false }
        if let group = sharedWithGroup, acl.role(ofGroup: Name.key(group)) == nil { return false }
        if let user = hasAccess, !access.contains(where: { $0.userKey == Name.key(user) && $0.role != nil }) {
            return false
        }
        if let pending = pendingRevocation, access.contains(where: { $0.state == .pendingRevocation }) != pending {
            return false
        }
        return true
    }
}
