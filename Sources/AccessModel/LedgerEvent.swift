/// Every event of the log, typed (SPEC §4).
///
/// Payloads hold names as stored (first written) plus the ids replay needs; nothing else is
/// needed to rebuild the projections. Streams are stable identities:
///
/// | events | stream |
/// |---|---|
/// | `user_*`, `group_synced` | `user:<username key>` |
/// | `token_*` | `token:<username key>/<token name key>` |
/// | `group_created`, `group_deleted`, `group_members_*` | `group:<group key>` |
/// | `workspace_*` | `workspace:<id>` (the id never changes; names can be renamed and reused) |
/// | `webhook_*` | `webhook:<webhook name key>` |
///
/// Convert with ``newEvent`` and back with ``init(type:data:)`` or ``init(recorded:)``.
public enum LedgerEvent: Sendable, Hashable {
    /// `{"username", "kind": "human"|"service_account", "role": SITE_ROLE}`. Also re-creates a
    /// deleted user of the same name (a new lifetime on the same stream).
    case userCreated(username: String, kind: UserKind, role: SiteRole)
    /// `{"username", "old_role", "role"}`.
    case userRoleChanged(username: String, from: SiteRole, to: SiteRole)
    /// `{"username"}`.
    case userSuspended(username: String)
    /// `{"username"}`.
    case userActivated(username: String)
    /// `{"username"}`. Also ends the user's group memberships and direct ACL entries and revokes
    /// the user's tokens.
    case userDeleted(username: String)
    /// `{"username", "name", "lifetime_seconds", "secret_sha256"}`; expiry = `occurred_at` + lifetime.
    case tokenCreated(username: String, name: String, lifetimeSeconds: Int64, secretSHA256: String)
    /// `{"username", "name"}`.
    case tokenRevoked(username: String, name: String)
    /// `{"name", "source": "manual"|"idp"}`. Also re-creates a deleted group of the same name.
    case groupCreated(name: String, source: GroupSource)
    /// `{"name"}`. Also ends all memberships and removes the group from every ACL.
    case groupDeleted(name: String)
    /// `{"group", "usernames": [...]}`: only users who were not members.
    case groupMembersAdded(group: String, usernames: [String])
    /// `{"group", "usernames": [...]}`: only users who were members.
    case groupMembersRemoved(group: String, usernames: [String])
    /// `{"username", "claimed", "added", "removed", "ignored", "created"}` (arrays of names).
    case groupSynced(GroupSync)
    /// `{"workspace_id", "owner", "name", "template"}`. The workspace starts running.
    case workspaceCreated(WorkspaceIdentity, template: String)
    /// `{"workspace_id", "owner", "name"}`.
    case workspaceStarted(WorkspaceIdentity)
    /// `{"workspace_id", "owner", "name"}`.
    case workspaceStopped(WorkspaceIdentity)
    /// `{"workspace_id", "owner", "name"}`.
    case workspaceRestarted(WorkspaceIdentity)
    /// `{"workspace_id", "owner", "name", "new_name"}` (`name` is the old name).
    case workspaceRenamed(WorkspaceIdentity, newName: String)
    /// `{"workspace_id", "owner", "name"}`.
    case workspaceDeleted(WorkspaceIdentity)
    /// `{"workspace_id", "owner", "name", "users": [{"username", "role"}], "groups": [{"name", "role"}]}`:
    /// the entries added or whose role changed.
    case workspaceShared(WorkspaceIdentity, users: [ShareEntry], groups: [ShareEntry])
    /// `{"workspace_id", "owner", "name", "users": [USERNAME], "groups": [GROUP]}`: the entries removed.
    case workspaceUnshared(WorkspaceIdentity, users: [String], groups: [String])
    /// `{"name", "url", "types": [TYPE]}` (empty types: every type). The signing secret is never
    /// in the event.
    case webhookAdded(WebhookRecord)
    /// `{"name"}`.
    case webhookRemoved(name: String)

    // MARK: Streams

    /// The stream of a user: `user:<key>`.
    public static func userStream(_ username: String) -> String { "user:\(Name.key(username))" }
    /// The stream of a group: `group:<key>`.
    public static func groupStream(_ name: String) -> String { "group:\(Name.key(name))" }
    /// The stream of a token: `token:<user key>/<token key>`.
    public static func tokenStream(username: String, name: String) -> String {
        "token:\(Name.key(username))/\(Name.key(name))"
    }
    /// The stream of a webhook: `webhook:<key>`.
    public static func webhookStream(_ name: String) -> String { "webhook:\(Name.key(name))" }
    /// The stream of a workspace: `workspace:<id>`.
    public static func workspaceStream(_ id: Int64) -> String { "workspace:\(id)" }

    /// The event's type.
    public var type: LedgerEventType {
        switch self {
        case .userCreated: return .userCreated
        case .userRoleChanged: return .userRoleChanged
        case .userSuspended: return .userSuspended
        case .userActivated: return .userActivated
        case .userDeleted: return .userDeleted
        case .tokenCreated: return .tokenCreated
        case .tokenRevoked: return .tokenRevoked
        case .groupCreated: return .groupCreated
        case .groupDeleted: return .groupDeleted
        case .groupMembersAdded: return .groupMembersAdded
        case .groupMembersRemoved: return .groupMembersRemoved
        case .groupSynced: return .groupSynced
        case .workspaceCreated: return .workspaceCreated
        case .workspaceStarted: return .workspaceStarted
        case .workspaceStopped: return .workspaceStopped
        case .workspaceRestarted: return .workspaceRestarted
        case .workspaceRenamed: return .workspaceRenamed
        case .workspaceDeleted: return .workspaceDeleted
        case .workspaceShared: return .workspaceShared
        case .workspaceUnshared: return .workspaceUnshared
        case .webhookAdded: return .webhookAdded
        case .webhookRemoved: return .webhookRemoved
        }
    }

    /// The stream the event belongs to.
    public var stream: String {
        switch self {
        case .userCreated(let username, _, _), .userRoleChanged(let username, _, _), .userSuspended(let username),
            .userActivated(let username), .userDeleted(let username):
            return LedgerEvent.userStream(username)
        case .groupSynced(let sync):
            return LedgerEvent.userStream(sync.username)
        case .tokenCreated(let username, let name, _, _), .tokenRevoked(let username, let name):
            return LedgerEvent.tokenStream(username: username, name: name)
        case .groupCreated(let name, _), .groupDeleted(let name), .groupMembersAdded(let name, _),
            .groupMembersRemoved(let name, _):
            return LedgerEvent.groupStream(name)
        case .workspaceCreated(let w, _), .workspaceStarted(let w), .workspaceStopped(let w),
            .workspaceRestarted(let w), .workspaceRenamed(let w, _), .workspaceDeleted(let w),
            .workspaceShared(let w, _, _), .workspaceUnshared(let w, _, _):
            return w.stream
        case .webhookAdded(let webhook): return LedgerEvent.webhookStream(webhook.name)
        case .webhookRemoved(let name): return LedgerEvent.webhookStream(name)
        }
    }

    /// The event as it is appended: stream, type and payload.
    public var newEvent: NewEvent { NewEvent(stream: stream, type: type.rawValue, data: data) }

    /// The JSON payload (strings, integers and arrays/objects of them only).
    public var data: JSONValue {
        switch self {
        case .userCreated(let username, let kind, let role):
            return ["username": .string(username), "kind": .string(kind.rawValue), "role": .string(role.rawValue)]
        case .userRoleChanged(let username, let from, let to):
            return ["username": .string(username), "old_role": .string(from.rawValue), "role": .string(to.rawValue)]
        case .userSuspended(let username), .userActivated(let username), .userDeleted(let username):
            return ["username": .string(username)]
        case .tokenCreated(let username, let name, let lifetime, let hash):
            return [
                "username": .string(username), "name": .string(name), "lifetime_seconds": .int(lifetime),
                "secret_sha256": .string(hash),
            ]
        case .tokenRevoked(let username, let name):
            return ["username": .string(username), "name": .string(name)]
        case .groupCreated(let name, let source):
            return ["name": .string(name), "source": .string(source.rawValue)]
        case .groupDeleted(let name):
            return ["name": .string(name)]
        case .groupMembersAdded(let group, let usernames), .groupMembersRemoved(let group, let usernames):
            return ["group": .string(group), "usernames": LedgerEvent.strings(usernames)]
        case .groupSynced(let sync):
            return [
                "username": .string(sync.username), "claimed": LedgerEvent.strings(sync.claimed),
                "added": LedgerEvent.strings(sync.added), "removed": LedgerEvent.strings(sync.removed),
                "ignored": LedgerEvent.strings(sync.ignored), "created": LedgerEvent.strings(sync.created),
            ]
        case .workspaceCreated(let w, let template):
            return LedgerEvent.workspaceData(w, ["template": .string(template)])
        case .workspaceStarted(let w), .workspaceStopped(let w), .workspaceRestarted(let w),
            .workspaceDeleted(let w):
            return LedgerEvent.workspaceData(w, [:])
        case .workspaceRenamed(let w, let newName):
            return LedgerEvent.workspaceData(w, ["new_name": .string(newName)])
        case .workspaceShared(let w, let users, let groups):
            return LedgerEvent.workspaceData(
                w,
                [
                    "users": .array(users.map { ["username": .string($0.name), "role": .string($0.role.rawValue)] }),
                    "groups": .array(groups.map { ["name": .string($0.name), "role": .string($0.role.rawValue)] }),
                ])
        case .workspaceUnshared(let w, let users, let groups):
            return LedgerEvent.workspaceData(
                w, ["users": LedgerEvent.strings(users), "groups": LedgerEvent.strings(groups)])
        case .webhookAdded(let webhook):
            return ["name": .string(webhook.name), "url": .string(webhook.url), "types": LedgerEvent.strings(webhook.types)]
        case .webhookRemoved(let name):
            return ["name": .string(name)]
        }
    }

    private static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    private static func workspaceData(_ w: WorkspaceIdentity, _ extra: [String: JSONValue]) -> JSONValue {
        var members = extra
        members["workspace_id"] = .int(w.id)
        members["owner"] = .string(w.owner)
        members["name"] = .string(w.name)
        return .object(members)
    }

    // MARK: Decoding

    /// Reads an event back from its type and payload.
    /// - Throws: ``EventDecodingError`` for an unknown type, a missing or mistyped field, an
    ///   unknown enum value, or an unexpected field.
    public init(type: String, data: JSONValue) throws(EventDecodingError) {
        guard let eventType = LedgerEventType(rawValue: type) else {
            throw EventDecodingError(type: type, problem: "unknown event type")
        }
        var p = try Payload(type: type, data: data)
        switch eventType {
        case .userCreated:
            self = .userCreated(
                username: try p.string("username"), kind: try p.enumeration("kind", UserKind.self),
                role: try p.enumeration("role", SiteRole.self))
        case .userRoleChanged:
            self = .userRoleChanged(
                username: try p.string("username"), from: try p.enumeration("old_role", SiteRole.self),
                to: try p.enumeration("role", SiteRole.self))
        case .userSuspended: self = .userSuspended(username: try p.string("username"))
        case .userActivated: self = .userActivated(username: try p.string("username"))
        case .userDeleted: self = .userDeleted(username: try p.string("username"))
        case .tokenCreated:
            self = .tokenCreated(
                username: try p.string("username"), name: try p.string("name"),
                lifetimeSeconds: try p.int("lifetime_seconds"), secretSHA256: try p.string("secret_sha256"))
        case .tokenRevoked:
            self = .tokenRevoked(username: try p.string("username"), name: try p.string("name"))
        case .groupCreated:
            self = .groupCreated(name: try p.string("name"), source: try p.enumeration("source", GroupSource.self))
        case .groupDeleted: self = .groupDeleted(name: try p.string("name"))
        case .groupMembersAdded:
            self = .groupMembersAdded(group: try p.string("group"), usernames: try p.strings("usernames"))
        case .groupMembersRemoved:
            self = .groupMembersRemoved(group: try p.string("group"), usernames: try p.strings("usernames"))
        case .groupSynced:
            self = .groupSynced(
                GroupSync(
                    username: try p.string("username"), claimed: try p.strings("claimed"),
                    added: try p.strings("added"), removed: try p.strings("removed"),
                    ignored: try p.strings("ignored"), created: try p.strings("created")))
        case .workspaceCreated:
            self = .workspaceCreated(try p.workspace(), template: try p.string("template"))
        case .workspaceStarted: self = .workspaceStarted(try p.workspace())
        case .workspaceStopped: self = .workspaceStopped(try p.workspace())
        case .workspaceRestarted: self = .workspaceRestarted(try p.workspace())
        case .workspaceRenamed: self = .workspaceRenamed(try p.workspace(), newName: try p.string("new_name"))
        case .workspaceDeleted: self = .workspaceDeleted(try p.workspace())
        case .workspaceShared:
            self = .workspaceShared(
                try p.workspace(), users: try p.entries("users", nameKey: "username"),
                groups: try p.entries("groups", nameKey: "name"))
        case .workspaceUnshared:
            self = .workspaceUnshared(try p.workspace(), users: try p.strings("users"), groups: try p.strings("groups"))
        case .webhookAdded:
            self = .webhookAdded(
                WebhookRecord(name: try p.string("name"), url: try p.string("url"), types: try p.strings("types")))
        case .webhookRemoved: self = .webhookRemoved(name: try p.string("name"))
        }
        try p.finish()
    }

    /// Reads a recorded event back, and checks that its stream is the one its payload implies.
    /// - Throws: ``EventDecodingError``.
    public init(recorded: RecordedEvent) throws(EventDecodingError) {
        try self.init(type: recorded.type, data: recorded.data)
        guard stream == recorded.stream else {
            throw EventDecodingError(
                type: recorded.type,
                problem: "stream \(quoted(recorded.stream)) does not match its payload (expected \(quoted(stream)))")
        }
    }
}

/// Reads the fields of one payload, remembering which were read so that unexpected ones are
/// reported by ``finish()``.
private struct Payload {
    let type: String
    let members: [String: JSONValue]
    var read: Set<String> = []

    init(type: String, data: JSONValue) throws(EventDecodingError) {
        guard let members = data.objectValue else {
            throw EventDecodingError(type: type, problem: "the payload is not an object")
        }
        self.type = type
        self.members = members
    }

    func fail(_ problem: String) -> EventDecodingError { EventDecodingError(type: type, problem: problem) }

    mutating func value(_ key: String) throws(EventDecodingError) -> JSONValue {
        guard let value = members[key] else { throw fail("missing field \(quoted(key))") }
        read.insert(key)
        return value
    }

    mutating func string(_ key: String) throws(EventDecodingError) -> String {
        guard let text = try value(key).stringValue else { throw fail("field \(quoted(key)) is not a string") }
        return text
    }

    mutating func int(_ key: String) throws(EventDecodingError) -> Int64 {
        guard let number = try value(key).intValue else { throw fail("field \(quoted(key)) is not an integer") }
        return number
    }

    mutating func strings(_ key: String) throws(EventDecodingError) -> [String] {
        guard let items = try value(key).arrayValue else { throw fail("field \(quoted(key)) is not an array") }
        var out: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw fail("field \(quoted(key)) holds a non-string") }
            out.append(text)
        }
        return out
    }

    mutating func enumeration<T: RawRepresentable>(_ key: String, _: T.Type) throws(EventDecodingError) -> T
    where T.RawValue == String {
        let text = try string(key)
        guard let parsed = T(rawValue: text) else {
            throw fail("field \(quoted(key)) has unknown value \(quoted(text))")
        }
        return parsed
    }

    mutating func workspace() throws(EventDecodingError) -> WorkspaceIdentity {
        WorkspaceIdentity(id: try int("workspace_id"), owner: try string("owner"), name: try string("name"))
    }

    mutating func entries(_ key: String, nameKey: String) throws(EventDecodingError) -> [ShareEntry] {
        guard let items = try value(key).arrayValue else { throw fail("field \(quoted(key)) is not an array") }
        var out: [ShareEntry] = []
        for item in items {
            guard let object = item.objectValue, object.count == 2, let name = object[nameKey]?.stringValue,
                let roleText = object["role"]?.stringValue
            else {
                throw fail("field \(quoted(key)) holds an entry that is not {\(quoted(nameKey)), \"role\"}")
            }
            guard let role = WorkspaceRole(rawValue: roleText) else {
                throw fail("field \(quoted(key)) holds unknown role \(quoted(roleText))")
            }
            out.append(ShareEntry(name: name, role: role))
        }
        return out
    }

    func finish() throws(EventDecodingError) {
        let unexpected = Set(members.keys).subtracting(read).sorted()
        if let first = unexpected.first { throw fail("unexpected field \(quoted(first))") }
    }
}
