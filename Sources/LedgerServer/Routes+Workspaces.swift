import AccessModel
import Hummingbird
import LedgerService
import LedgerStore

/// `/api/v1/workspaces…` (SPEC §7): creation, the lifecycle, the ACL and rotation.
extension LedgerAPI {
    func addWorkspaceRoutes(to router: Router<LedgerContext>) {
        let api = self
        router.post("/api/v1/workspaces") { request, context in
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["owner", "name", "template"])
            let owner = try JSONBody.names([try body.requiredString("owner")], field: "owner", kind: .user)[0]
            let name = try JSONBody.names([try body.requiredString("name")], field: "name", kind: .workspace)[0]
            let command = Command.createWorkspace(
                workspace: owner + "/" + name, template: try body.requiredString("template"))
            return try await api.mutate(request, body: body, commands: [command], status: 201)
        }
        router.get("/api/v1/workspaces") { request, _ in
            let query = try Query(request, allowed: ["q", "at", "at_position"])
            let point = try query.point()
            let search = query["q"]
            return try await api.readJSON(request) { principal, ledger in
                let (listings, _) = try ledger.listWorkspaces(search: search, at: point)
                guard !principal.readsEverything else { return .array(listings.map(JSONShapes.listing)) }
                let me = principal.user.key
                let reachable = try ledger.snapshot(at: point) { reader, _ in
                    Set(try reader.accessRows(userKey: me).filter { $0.role != nil }.map(\.workspaceID))
                }
                return .array(
                    listings.filter { $0.workspace.ownerKey == me || reachable.contains($0.workspace.id) }.map(
                        JSONShapes.listing))
            }
        }
        for (action, make) in [
            ("start", Command.startWorkspace), ("stop", Command.stopWorkspace), ("restart", Command.restartWorkspace),
        ] as [(String, @Sendable (String) -> Command)] {
            router.post("/api/v1/workspaces/{owner}/{name}/\(action)") { request, context in
                let workspace = try LedgerAPI.pathWorkspace(context)
                var request = request
                let body = try await JSONBody.read(&request, context: context, allowed: [])
                return try await api.mutate(
                    request, body: body, commands: [make(workspace)], check: LedgerAPI.visible(workspace))
            }
        }
        router.post("/api/v1/workspaces/{owner}/{name}/rename") { request, context in
            let workspace = try LedgerAPI.pathWorkspace(context)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["name"])
            let command = Command.renameWorkspace(workspace: workspace, newName: try body.requiredString("name"))
            return try await api.mutate(request, body: body, commands: [command], check: LedgerAPI.visible(workspace))
        }
        router.delete("/api/v1/workspaces/{owner}/{name}") { request, context in
            let workspace = try LedgerAPI.pathWorkspace(context)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: [])
            return try await api.mutate(
                request, body: body, commands: [.deleteWorkspace(workspace: workspace)],
                check: LedgerAPI.visible(workspace))
        }
        router.get("/api/v1/workspaces/{owner}/{name}/acl") { request, context in
            let reference = try LedgerAPI.pathWorkspace(context)
            let point = try Query(request, allowed: ["at", "at_position"]).point()
            return try await api.readJSON(request) { principal, ledger in
                try ledger.snapshot(at: point) { reader, asOf in
                    let workspace = try Visibility.workspace(reference, for: principal, reader: reader)
                    return JSONShapes.sharingStatus(try SharingStatus(of: workspace, reader: reader), asOf)
                }
            }
        }
        router.patch("/api/v1/workspaces/{owner}/{name}/acl") { request, context in
            let workspace = try LedgerAPI.pathWorkspace(context)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["user_roles", "group_roles"])
            let commands = try LedgerAPI.aclCommands(
                workspace, users: try body.stringMap("user_roles"), groups: try body.stringMap("group_roles"))
            return try await api.mutate(request, body: body, commands: commands, check: LedgerAPI.visible(workspace))
        }
        router.post("/api/v1/workspaces/{owner}/{name}/rotate") { request, context in
            let workspace = try LedgerAPI.pathWorkspace(context)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["out", "in", "restart"])
            let command = Command.rotate(
                workspace: workspace, outgoing: try body.string("out"), incoming: try body.requiredString("in"),
                restart: try body.bool("restart") ?? true)
            return try await api.mutate(request, body: body, commands: [command], check: LedgerAPI.visible(workspace))
        }
    }

    /// The check of a mutation on `workspace`: it exists and the principal may see it (else 404).
    static func visible(_ workspace: String) -> @Sendable (Principal, Ledger) throws -> Void {
        { principal, ledger in
            _ = try Visibility.workspace(
                workspace, for: principal, reader: PostgresLedger(connection: ledger.connection))
        }
    }

    /// `PATCH …/acl` as commands: a share of every non-empty role and a removal of every empty
    /// one, applied as one (Coder's body shape, with names where Coder has ids).
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a bad name or role, or an empty body.
    static func aclCommands(_ workspace: String, users: [(String, String)], groups: [(String, String)]) throws
        -> [Command]
    {
        func split(_ entries: [(String, String)], field: String, kind: NameKind) throws -> (
            grants: [String], removals: [String]
        ) {
            _ = try JSONBody.names(entries.map(\.0), field: field, kind: kind)
            var grants: [String] = []
            var removals: [String] = []
            for (name, role) in entries {
                switch role {
                case "": removals.append(name)
                case "use", "admin": grants.append(name + ":" + role)
                default:
                    throw LedgerError.invalidInput(
                        "invalid role \(DisplayText.quoted(role)) for \(DisplayText.quoted(name)) in "
                            + "\(DisplayText.quoted(field)): expected \"use\", \"admin\" or \"\" (to remove)")
                }
            }
            return (grants, removals)
        }
        let u = try split(users, field: "user_roles", kind: .user)
        let g = try split(groups, field: "group_roles", kind: .group)
        var commands: [Command] = []
        if !u.grants.isEmpty || !g.grants.isEmpty {
            commands.append(.share(workspace: workspace, users: u.grants, groups: g.grants))
        }
        if !u.removals.isEmpty || !g.removals.isEmpty {
            commands.append(.unshare(workspace: workspace, users: u.removals, groups: g.removals))
        }
        guard !commands.isEmpty else {
            throw LedgerError.invalidInput("at least one entry of \"user_roles\" or \"group_roles\" must be given")
        }
        return commands
    }
}
