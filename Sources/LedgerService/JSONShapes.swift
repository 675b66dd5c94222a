import AccessModel
import LedgerStore
import PostgresClient

/// Every JSON shape of SPEC §5, §7 and §8, written once: the CLI's `-o json` and the HTTP
/// service answer with these.
public enum JSONShapes {
    /// `sharing status` (SPEC §5): `{"workspace", "status", "as_of", "acl": {"users", "groups"},
    /// "access", "restart_required"}`, roles `null` for none.
    public static func sharingStatus(_ status: SharingStatus, _ asOf: AsOf) -> OutputJSON {
        .object([
            ("workspace", .string(status.workspace)),
            ("status", .string(status.status.rawValue)),
            ("as_of", .asOf(asOf.position, asOf.time)),
            (
                "acl",
                .object([
                    (
                        "users",
                        .array(
                            status.users.map {
                                .object([("username", .string($0.username)), ("role", .string($0.role.rawValue))])
                            })
                    ),
                    (
                        "groups",
                        .array(
                            status.groups.map {
                                .object([
                                    ("name", .string($0.name)), ("role", .string($0.role.rawValue)),
                                    ("member_count", .int(Int64($0.memberCount))),
                                ])
                            })
                    ),
                ])
            ),
            (
                "access",
                .array(
                    status.access.map { row in
                        .object([
                            ("username", .string(row.username)),
                            ("role", .role(row.role)),
                            ("live_role", .role(row.liveRole)),
                            ("via", .strings(row.via)),
                            ("state", .string(row.state.rawValue)),
                        ])
                    })
            ),
            ("restart_required", .bool(status.restartRequired)),
        ])
    }

    /// A `list` entry: `{"workspace", "owner", "name", "status", "shared"}`.
    public static func listing(_ listing: WorkspaceListing) -> OutputJSON {
        .object([
            ("workspace", .string(listing.workspace.reference)),
            ("owner", .string(listing.workspace.owner)),
            ("name", .string(listing.workspace.name)),
            ("status", .string(listing.workspace.status.rawValue)),
            ("shared", .bool(listing.shared)),
        ])
    }

    /// A `users list` entry: `{"username", "kind", "role", "status"}`.
    public static func user(_ user: UserRecord) -> OutputJSON {
        .object([
            ("username", .string(user.username)),
            ("kind", .string(user.kind.rawValue)),
            ("role", .string(user.role.rawValue)),
            ("status", .string(user.status.rawValue)),
        ])
    }

    /// A `groups list` entry: `{"name", "source", "member_count", "members"}`, source `builtin`
    /// for `Everyone`.
    public static func group(_ listing: GroupListing) -> OutputJSON {
        .object([
            ("name", .string(listing.group.name)),
            ("source", .string(listing.group.isEveryone ? "builtin" : listing.group.source.rawValue)),
            ("member_count", .int(Int64(listing.memberCount))),
            ("members", .strings(listing.members)),
        ])
    }

    /// A `tokens list` entry: `{"name", "user", "created", "expires", "revoked"}`; never the secret
    /// nor its hash.
    public static func token(_ token: TokenRecord) -> OutputJSON {
        .object([
            ("name", .string(token.name)),
            ("user", .string(token.username)),
            ("created", .time(token.createdAt)),
            ("expires", .time(token.expiresAt)),
            ("revoked", .time(token.revokedAt)),
        ])
    }

    /// An `audit log` entry (EVENT of SPEC §7): `{"position", "time", "type", "stream", "actor",
    /// "token", "reason", "data", "hash"}`.
    public static func event(_ event: RecordedEvent) -> OutputJSON {
        .object([
            ("position", .int(event.position)),
            ("time", .string(event.occurredAt.rfc3339)),
            ("type", .string(event.type)),
            ("stream", .string(event.stream)),
            ("actor", .string(event.actor)),
            ("token", .string(event.token)),
            ("reason", .string(event.reason)),
            ("data", .raw(event.data)),
            ("hash", .string(Hex.encode(event.hash))),
        ])
    }

    /// An `audit history` interval: `{"workspace", "username", "role", "live_role", "state",
    /// "via", "from", "to", "started_by", "ended_by"}` (`started_by`/`ended_by` add `reason`).
    public static func interval(_ interval: AccessInterval) -> OutputJSON {
        func point(_ asOf: AsOf?) -> OutputJSON {
            guard let asOf else { return .null }
            return .asOf(asOf.position, asOf.time)
        }
        func cause(_ cause: AccessInterval.Cause?) -> OutputJSON {
            guard let cause else { return .null }
            return .object([
                ("actor", .string(cause.actor)), ("type", .string(cause.type)), ("reason", .string(cause.reason)),
            ])
        }
        return .object([
            ("workspace", .string(interval.workspace)),
            ("username", .string(interval.username)),
            ("role", .role(interval.role)),
            ("live_role", .role(interval.liveRole)),
            ("state", .string(interval.state.rawValue)),
            ("via", .strings(interval.via)),
            ("from", point(interval.from)),
            ("to", point(interval.to)),
            ("started_by", cause(interval.startedBy)),
            ("ended_by", cause(interval.endedBy)),
        ])
    }

    /// `verify`: `{"ok", "events", "head": {"position", "hash"}, "first_bad_position", "problem"}`;
    /// the head of an empty log (or of none vouched for) is position 0 and 64 zeros.
    public static func verify(_ report: VerifyReport) -> OutputJSON {
        let head = report.head ?? (0, Hex.encode(EventHasher.genesis))
        return .object([
            ("ok", .bool(report.ok)),
            ("events", .int(report.events)),
            ("head", .object([("position", .int(head.position)), ("hash", .string(head.hash))])),
            ("first_bad_position", report.firstBadPosition.map { .int($0) } ?? .null),
            ("problem", .string(report.problem)),
        ])
    }

    /// `replay [--verify]`: `{"ok", "events"}`, plus `"differences"` with `--verify`.
    public static func replay(_ report: ReplayReport, verify: Bool) -> OutputJSON {
        var members: [(String, OutputJSON)] = [("ok", .bool(report.ok)), ("events", .int(report.events))]
        if verify { members.append(("differences", .strings(report.differences))) }
        return .object(members)
    }

    /// `import`: `{"lines", "events", "unchanged", "first_position", "head": {"position", "hash"}}`:
    /// the lines imported (blank lines are not counted), the events they appended, the lines that
    /// changed nothing, the first new position (`null` when none) and the head afterwards.
    public static func importReport(_ report: ImportReport, lines: Int) -> OutputJSON {
        .object([
            ("lines", .int(Int64(lines))),
            ("events", .int(report.events)),
            ("unchanged", .int(Int64(report.unchanged))),
            ("first_position", report.firstPosition.map { .int($0) } ?? .null),
            ("head", .object([("position", .int(report.head)), ("hash", .string(Hex.encode(report.headHash)))])),
        ])
    }

    /// A mutation's answer (SPEC §7): `{"events": [EVENT, …], "restart_required": ["OWNER/NAME", …]}`.
    public static func mutation(_ outcome: CommandOutcome) -> OutputJSON {
        .object([
            ("events", .array(outcome.events.map(event))),
            ("restart_required", .strings(outcome.restartRequired)),
        ])
    }

    /// The error body of SPEC §7: `{"error": {"code", "message"}}`.
    public static func error(code: String, message: String) -> OutputJSON {
        .object([("error", .object([("code", .string(code)), ("message", .string(message))]))])
    }

    /// A restart-queue entry (SPEC §8): `{"workspace", "users": [{"username", "live_role",
    /// "since": {"position", "time"}}], "oldest": {"position", "time"}}`.
    public static func pendingRevocation(_ entry: PendingRevocation) -> OutputJSON {
        .object([
            ("workspace", .string(entry.workspace)),
            (
                "users",
                .array(
                    entry.users.map { user in
                        .object([
                            ("username", .string(user.username)), ("live_role", .role(user.liveRole)),
                            ("since", .asOf(user.since.position, user.since.time)),
                        ])
                    })
            ),
            ("oldest", .asOf(entry.oldest.position, entry.oldest.time)),
        ])
    }

    /// A `webhooks list` entry: `{"name", "url", "types", "cursor", "lag", "last_error",
    /// "attempts", "last_attempt_at", "delivered_at"}`; never the secret.
    public static func webhook(_ status: WebhookStatus) -> OutputJSON {
        .object([
            ("name", .string(status.webhook.name)),
            ("url", .string(status.webhook.url)),
            ("types", .strings(status.webhook.types)),
            ("cursor", .int(status.cursor)),
            ("lag", .int(status.lag)),
            ("last_error", .string(status.lastError)),
            ("attempts", .int(Int64(status.attempts))),
            ("last_attempt_at", .time(status.lastAttemptAt)),
            ("delivered_at", .time(status.deliveredAt)),
        ])
    }

    /// A page of the event feed (SPEC §8): `{"events": [EVENT, …], "head": POSITION}`.
    public static func eventPage(_ events: [RecordedEvent], head: Int64) -> OutputJSON {
        .object([("events", .array(events.map(event))), ("head", .int(head))])
    }
}
