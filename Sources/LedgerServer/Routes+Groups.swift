import AccessModel
import Hummingbird
import LedgerService
import LedgerStore

/// `/api/v1/groups…` (SPEC §7).
extension LedgerAPI {
    func addGroupRoutes(to router: Router<LedgerContext>) {
        let api = self
        router.post("/api/v1/groups") { request, context in
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["name"])
            return try await api.mutate(
                request, body: body, commands: [.createGroup(name: try body.requiredString("name"))], status: 201)
        }
        router.get("/api/v1/groups") { request, _ in
            _ = try Query(request, allowed: [])
            return try await api.readJSON(request) { _, ledger in .array(try ledger.groups().map(JSONShapes.group)) }
        }
        router.patch("/api/v1/groups/{group}/members") { request, context in
            let group = try LedgerAPI.pathName(context, "group", kind: .group)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["add", "remove"])
            let add = try JSONBody.names(try body.strings("add") ?? [], field: "add", kind: .user)
            let remove = try JSONBody.names(try body.strings("remove") ?? [], field: "remove", kind: .user)
            return try await api.mutate(
                request, body: body, commands: [.editGroup(name: group, addUsers: add, removeUsers: remove)],
                check: { _, ledger in
                    try Visibility.existingGroup(group, reader: PostgresLedger(connection: ledger.connection))
                })
        }
        router.delete("/api/v1/groups/{group}") { request, context in
            let group = try LedgerAPI.pathName(context, "group", kind: .group)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: [])
            return try await api.mutate(
                request, body: body, commands: [.deleteGroup(name: group)],
                check: { _, ledger in
                    try Visibility.existingGroup(group, reader: PostgresLedger(connection: ledger.connection))
                })
        }
    }
}
