import Testing

@testable import AccessModel

/// ``InternedLedger`` (what replay and import rebuild with) against ``InMemoryLedger`` (the
/// reference): the same events, or the same raw writes, must give equal snapshots, the same
/// writes from ``Projection`` (so the same history intervals), and the same answer to every
/// ``LedgerReader`` question after every step.
@Suite struct InternedLedgerTests {
    /// Random command histories (``CommandGenerator``), decided by the rules and replayed into both.
    @Test(arguments: 0..<6)
    func randomHistoriesGiveTheSameAnswers(chunk: Int) throws {
        for index in 0..<10 {
            let seed = UInt64(1_000 + chunk * 10 + index)
            var generator = CommandGenerator(seed: seed)
            let t = try TestLedger.bootstrapped()
            for name in generator.users {
                try t.run(.createUser(username: name, serviceAccount: name == "svc", role: nil), as: "root")
            }
            for name in generator.groups.dropLast() { try t.run(.createGroup(name: name), as: "root") }
            for name in generator.workspaceNames.dropLast() {
                try t.run(.createWorkspace(workspace: "svc/\(name)", template: "base"), as: "root")
            }
            for _ in 0..<150 {
                let command = generator.command()
                let actor = generator.actor()
                _ = try? t.run(command, as: actor)
            }

            let reference = Recording(InMemoryLedger(recordingAccessChanges: false))
            let interned = Recording(InternedLedger())
            for (step, event) in t.log.enumerated() {
                try Projection.apply(event, to: reference)
                try Projection.apply(event, to: interned)
                let context = "seed \(seed) position \(event.position) \(event.type)"
                // Stop at the first difference: the ones after it follow from it.
                guard interned.writes == reference.writes else {
                    Issue.record("\(context): writes \(interned.writes), expected \(reference.writes)")
                    return
                }
                guard try sameAnswers(reference.base, interned.base, context) else { return }
                if step % 10 == 0 || step == t.log.count - 1 {
                    guard interned.base.snapshot() == reference.base.snapshot() else {
                        Issue.record("\(context): snapshots differ")
                        return
                    }
                }
                reference.writes.removeAll()
                interned.writes.removeAll()
            }
            #expect(interned.base.snapshot() == t.ledger.snapshot(), "seed \(seed): differs from the live ledger")
        }
    }

    /// Random writes straight to both (no rules, no projection): odd sequences the projection
    /// never makes (a name taken by two workspaces, entries on unknown workspaces, rows of unknown
    /// users) must read the same too.
    @Test(arguments: 0..<6)
    func randomWritesGiveTheSameAnswers(chunk: Int) throws {
        for index in 0..<10 {
            let seed = UInt64(5_000 + chunk * 10 + index)
            var random = SplitMix64(seed: seed)
            let reference = InMemoryLedger(recordingAccessChanges: false)
            let interned = InternedLedger()
            for step in 0..<400 {
                let write = RandomWrite.make(&random)
                try write.apply(to: reference)
                try write.apply(to: interned)
                let context = "seed \(seed) step \(step) \(write)"
                guard try sameAnswers(reference, interned, context) else { return }
                guard interned.snapshot() == reference.snapshot() else {
                    Issue.record("\(context): snapshots differ")
                    return
                }
            }
        }
    }

    @Test func emptyLedgersAgree() throws {
        #expect(try sameAnswers(InMemoryLedger(), InternedLedger(), "empty"))
        #expect(InternedLedger().snapshot() == InMemoryLedger().snapshot())
    }
}

/// The keys the generators use, in both cases, and some never used.
private enum Pools {
    static let users = ["root", "ann", "bob", "cy", "dee", "eve", "svc", "fox", "gil", "nobody"]
    static let groups = ["g1", "g2", "g3", "everyone", "nope"]
    static let names = ["w1", "w2", "w3", "w4"]
    static let tokens = ["t1", "t2", "t3"]
    static let webhooks = ["w1", "w2", "w_3", "w3"]
}

/// Asks both ledgers every ``LedgerReader`` question about every key of the pools and every
/// workspace id; records the first answer that differs.
/// - Returns: whether every answer was the same, in the same order.
private func sameAnswers(
    _ reference: some LedgerReader, _ candidate: some LedgerReader, _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Bool {
    let expected = try answers(reference)
    let actual = try answers(candidate)
    guard expected != actual else { return true }
    let index =
        zip(expected.indices, zip(expected, actual)).first { $0.1.0 != $0.1.1 }?.0 ?? min(expected.count, actual.count)
    let question = index < expected.count ? expected[index].question : actual[index].question
    let got = index < actual.count ? "\(actual[index].answer)" : "nothing"
    let wanted = index < expected.count ? "\(expected[index].answer)" : "nothing"
    Issue.record("\(context): \(question) answers \(got), expected \(wanted)", sourceLocation: sourceLocation)
    return false
}

private struct Answer: Equatable {
    var question: String
    var answer: AnyHashable
}

private func answers(_ r: some LedgerReader) throws -> [Answer] {
    var all: [Answer] = []
    func ask(_ question: String, _ answer: AnyHashable) { all.append(Answer(question: question, answer: answer)) }
    ask("userCount", try r.userCount())
    ask("activeUserKeys", try r.activeUserKeys())
    ask("activeUserCount", try r.activeUserCount())
    ask("nextWorkspaceID", try r.nextWorkspaceID())
    ask("webhooks", try r.webhooks())
    for key in Pools.webhooks { ask("webhook \(key)", try r.webhook(key: key)) }
    for user in Pools.users {
        ask("user \(user)", try r.user(key: user))
        ask("groupKeys \(user)", try r.groupKeys(ofUser: user))
        ask("workspaceCount \(user)", try r.workspaceCount(ownerKey: user))
        ask("sharedWithUser \(user)", try r.workspaceIDs(sharedWithUser: user))
        ask("sharedWithGroupsOfUser \(user)", try r.workspaceIDs(sharedWithGroupsOfUser: user))
        ask("accessRows user \(user)", try r.accessRows(userKey: user))
        ask("tokens \(user)", try r.tokens(userKey: user))
        for token in Pools.tokens { ask("token \(user)/\(token)", try r.token(userKey: user, nameKey: token)) }
        for name in Pools.names {
            ask("workspace \(user)/\(name)", try r.workspace(ownerKey: user, nameKey: name))
        }
    }
    for group in Pools.groups {
        ask("group \(group)", try r.group(key: group))
        ask("memberKeys \(group)", try r.memberKeys(ofGroup: group))
        ask("activeMemberCount \(group)", try r.activeMemberCount(ofGroup: group))
        ask("sharedWithGroup \(group)", try r.workspaceIDs(sharedWithGroup: group))
    }
    for id in Int64(-1)...(try r.nextWorkspaceID() + 2) {
        ask("workspace \(id)", try r.workspace(id: id))
        ask("acl \(id)", try r.acl(workspaceID: id))
        ask("accessRows workspace \(id)", try r.accessRows(workspaceID: id))
        ask("pendingAccessRows \(id)", try r.pendingAccessRows(workspaceID: id))
        for user in Pools.users {
            ask("accessRow \(id) \(user)", try r.accessRow(workspaceID: id, userKey: user))
        }
    }
    return all
}

/// One write of ``LedgerWriter``, as it was made (to compare what the projection writes).
private enum Write: Hashable {
    case user(UserRecord)
    case group(GroupRecord)
    case addMember(String, String)
    case removeMember(String, String)
    case workspace(WorkspaceRecord)
    case setUserEntry(Int64, ShareEntry)
    case removeUserEntry(Int64, String)
    case setGroupEntry(Int64, ShareEntry)
    case removeGroupEntry(Int64, String)
    case upsertAccessRow(AccessRow, Int64, Timestamp)
    case deleteAccessRow(Int64, String, Int64, Timestamp)
    case token(TokenRecord)
    case webhook(WebhookRecord)
    case removeWebhook(String)
}

/// A ``LedgerWriter`` that records every write and passes everything on to `base`. The history
/// tables are a function of these writes (``HistoryTrackingLedger``), so equal writes mean equal
/// history.
private final class Recording<Base: LedgerWriter>: LedgerWriter {
    let base: Base
    var writes: [Write] = []

    init(_ base: Base) { self.base = base }

    func upsertUser(_ user: UserRecord) throws {
        writes.append(.user(user))
        try base.upsertUser(user)
    }
    func upsertGroup(_ group: GroupRecord) throws {
        writes.append(.group(group))
        try base.upsertGroup(group)
    }
    func addMember(groupKey: String, userKey: String) throws {
        writes.append(.addMember(groupKey, userKey))
        try base.addMember(groupKey: groupKey, userKey: userKey)
    }
    func removeMember(groupKey: String, userKey: String) throws {
        writes.append(.removeMember(groupKey, userKey))
        try base.removeMember(groupKey: groupKey, userKey: userKey)
    }
    func upsertWorkspace(_ workspace: WorkspaceRecord) throws {
        writes.append(.workspace(workspace))
        try base.upsertWorkspace(workspace)
    }
    func setUserEntry(workspaceID: Int64, entry: ShareEntry) throws {
        writes.append(.setUserEntry(workspaceID, entry))
        try base.setUserEntry(workspaceID: workspaceID, entry: entry)
    }
    func removeUserEntry(workspaceID: Int64, userKey: String) throws {
        writes.append(.removeUserEntry(workspaceID, userKey))
        try base.removeUserEntry(workspaceID: workspaceID, userKey: userKey)
    }
    func setGroupEntry(workspaceID: Int64, entry: ShareEntry) throws {
        writes.append(.setGroupEntry(workspaceID, entry))
        try base.setGroupEntry(workspaceID: workspaceID, entry: entry)
    }
    func removeGroupEntry(workspaceID: Int64, groupKey: String) throws {
        writes.append(.removeGroupEntry(workspaceID, groupKey))
        try base.removeGroupEntry(workspaceID: workspaceID, groupKey: groupKey)
    }
    func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) throws {
        writes.append(.upsertAccessRow(row, position, occurredAt))
        try base.upsertAccessRow(row, position: position, occurredAt: occurredAt)
    }
    func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) throws {
        writes.append(.deleteAccessRow(workspaceID, userKey, position, occurredAt))
        try base.deleteAccessRow(workspaceID: workspaceID, userKey: userKey, position: position, occurredAt: occurredAt)
    }
    func upsertToken(_ token: TokenRecord) throws {
        writes.append(.token(token))
        try base.upsertToken(token)
    }
    func upsertWebhook(_ webhook: WebhookRecord) throws {
        writes.append(.webhook(webhook))
        try base.upsertWebhook(webhook)
    }
    func removeWebhook(key: String) throws {
        writes.append(.removeWebhook(key))
        try base.removeWebhook(key: key)
    }

    func user(key: String) throws -> UserRecord? { try base.user(key: key) }
    func userCount() throws -> Int { try base.userCount() }
    func activeUserKeys() throws -> [String] { try base.activeUserKeys() }
    func activeUserCount() throws -> Int { try base.activeUserCount() }
    func group(key: String) throws -> GroupRecord? { try base.group(key: key) }
    func memberKeys(ofGroup groupKey: String) throws -> [String] { try base.memberKeys(ofGroup: groupKey) }
    func activeMemberCount(ofGroup groupKey: String) throws -> Int { try base.activeMemberCount(ofGroup: groupKey) }
    func groupKeys(ofUser userKey: String) throws -> [String] { try base.groupKeys(ofUser: userKey) }
    func workspace(id: Int64) throws -> WorkspaceRecord? { try base.workspace(id: id) }
    func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? {
        try base.workspace(ownerKey: ownerKey, nameKey: nameKey)
    }
    func workspaceCount(ownerKey: String) throws -> Int { try base.workspaceCount(ownerKey: ownerKey) }
    func nextWorkspaceID() throws -> Int64 { try base.nextWorkspaceID() }
    func acl(workspaceID: Int64) throws -> WorkspaceACL { try base.acl(workspaceID: workspaceID) }
    func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64] {
        try base.workspaceIDs(sharedWithUser: userKey)
    }
    func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] {
        try base.workspaceIDs(sharedWithGroup: groupKey)
    }
    func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] {
        try base.workspaceIDs(sharedWithGroupsOfUser: userKey)
    }
    func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? {
        try base.accessRow(workspaceID: workspaceID, userKey: userKey)
    }
    func accessRows(workspaceID: Int64) throws -> [AccessRow] { try base.accessRows(workspaceID: workspaceID) }
    func accessRows(userKey: String) throws -> [AccessRow] { try base.accessRows(userKey: userKey) }
    func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] {
        try base.pendingAccessRows(workspaceID: workspaceID)
    }
    func token(userKey: String, nameKey: String) throws -> TokenRecord? {
        try base.token(userKey: userKey, nameKey: nameKey)
    }
    func tokens(userKey: String) throws -> [TokenRecord] { try base.tokens(userKey: userKey) }
    func webhook(key: String) throws -> WebhookRecord? { try base.webhook(key: key) }
    func webhooks() throws -> [WebhookRecord] { try base.webhooks() }
}

/// A random raw write over the small pools, names sometimes in capitals.
private struct RandomWrite: CustomStringConvertible {
    var write: Write

    var description: String { "\(write)" }

    static func make(_ random: inout SplitMix64) -> RandomWrite {
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
        func spell(_ name: String) -> String { below(5) == 0 ? name.uppercased() : name }
        let user = spell(pick(Pools.users))
        let group = spell(pick(["g1", "g2", "g3", "Everyone"]))
        let id = Int64(below(7))
        let time = Timestamp(microseconds: Int64(below(1_000)))
        let role: WorkspaceRole? = pick([nil, .use, .admin])
        switch below(17) {
        case 0, 1:
            return RandomWrite(
                write: .user(
                    UserRecord(
                        username: user, kind: pick(UserKind.allCases), role: pick([.owner, .member, .auditor]),
                        status: pick(UserStatus.allCases + [.active]))))
        case 2:
            return RandomWrite(
                write: .group(GroupRecord(name: group, source: pick(GroupSource.allCases), isDeleted: below(4) == 0)))
        case 3, 4: return RandomWrite(write: .addMember(Name.key(group), Name.key(user)))
        case 5: return RandomWrite(write: .removeMember(Name.key(group), Name.key(user)))
        case 6, 7:
            return RandomWrite(
                write: .workspace(
                    WorkspaceRecord(
                        id: Int64(1 + below(5)), owner: spell(pick(["ann", "bob", "svc"])),
                        name: spell(pick(Pools.names)), template: "base",
                        status: pick(WorkspaceStatus.allCases + [.running, .stopped]))))
        case 8: return RandomWrite(write: .setUserEntry(id, ShareEntry(name: user, role: role ?? .use)))
        case 9: return RandomWrite(write: .removeUserEntry(id, Name.key(user)))
        case 10: return RandomWrite(write: .setGroupEntry(id, ShareEntry(name: group, role: role ?? .admin)))
        case 11: return RandomWrite(write: .removeGroupEntry(id, Name.key(group)))
        case 12, 13:
            let live: WorkspaceRole? = pick([nil, .use, .admin])
            let row = AccessRow(
                workspaceID: id, username: user, role: role ?? (live == nil ? .use : nil), liveRole: live,
                via: role == nil ? [] : pick([["user"], ["group:g1"], ["user", "group:Everyone"]]))
            return RandomWrite(write: .upsertAccessRow(row, Int64(below(100)), time))
        case 14: return RandomWrite(write: .deleteAccessRow(id, Name.key(user), Int64(below(100)), time))
        case 15:
            return RandomWrite(
                write: .token(
                    TokenRecord(
                        username: user, name: spell(pick(Pools.tokens)), lifetimeSeconds: 60, secretSHA256: "ab",
                        createdAt: time, expiresAt: time, revokedAt: below(2) == 0 ? time : nil)))
        default:
            let name = spell(pick(Pools.webhooks))
            return below(3) == 0
                ? RandomWrite(write: .removeWebhook(Name.key(name)))
                : RandomWrite(write: .webhook(WebhookRecord(name: name, url: "http://h/\(below(3))", types: [])))
        }
    }

    func apply(to ledger: some LedgerWriter) throws {
        switch write {
        case .user(let user): try ledger.upsertUser(user)
        case .group(let group): try ledger.upsertGroup(group)
        case .addMember(let group, let user): try ledger.addMember(groupKey: group, userKey: user)
        case .removeMember(let group, let user): try ledger.removeMember(groupKey: group, userKey: user)
        case .workspace(let workspace): try ledger.upsertWorkspace(workspace)
        case .setUserEntry(let id, let entry): try ledger.setUserEntry(workspaceID: id, entry: entry)
        case .removeUserEntry(let id, let key): try ledger.removeUserEntry(workspaceID: id, userKey: key)
        case .setGroupEntry(let id, let entry): try ledger.setGroupEntry(workspaceID: id, entry: entry)
        case .removeGroupEntry(let id, let key): try ledger.removeGroupEntry(workspaceID: id, groupKey: key)
        case .upsertAccessRow(let row, let position, let time):
            try ledger.upsertAccessRow(row, position: position, occurredAt: time)
        case .deleteAccessRow(let id, let key, let position, let time):
            try ledger.deleteAccessRow(workspaceID: id, userKey: key, position: position, occurredAt: time)
        case .token(let token): try ledger.upsertToken(token)
        case .webhook(let webhook): try ledger.upsertWebhook(webhook)
        case .removeWebhook(let key): try ledger.removeWebhook(key: key)
        }
    }
}
