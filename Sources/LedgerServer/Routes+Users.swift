import AccessModel
import Hummingbird
import LedgerService
import LedgerStore

/// `/api/v1/users…`: users, their tokens and their IdP group syncs (SPEC §7).
extension LedgerAPI {
    func addUserRoutes(to router: Router<LedgerContext>) {
        let api = self
        router.post("/api/v1/users") { request, context in
            var request = request
            let body = try await JSONBody.read(
                &request, context: context, allowed: ["username", "service_account", "role"])
            let command = Command.createUser(
                username: try body.requiredString("username"),
                serviceAccount: try body.bool("service_account") ?? false,
                role: try body.string("role"))
            return try await api.mutate(request, body: body, commands: [command], status: 201)
        }
        router.get("/api/v1/users") { request, _ in
            _ = try Query(request, allowed: [])
            return try await api.readJSON(request) { principal, ledger in
                let users = try ledger.users().filter { principal.readsEverything || $0.key == principal.user.key }
                return .array(users.map(JSONShapes.user))
            }
        }
        for (action, make) in [
            ("suspend", Command.suspendUser), ("activate", Command.activateUser),
        ] as [(String, @Sendable (String) -> Command)] {
            router.post("/api/v1/users/{user}/\(action)") { request, context in
                let user = try LedgerAPI.pathName(context, "user", kind: .user)
                var request = request
                let body = try await JSONBody.read(&request, context: context, allowed: [])
                return try await api.mutate(
                    request, body: body, commands: [make(user)],
                    check: { _, ledger in
                        try Visibility.existingUser(user, reader: PostgresLedger(connection: ledger.connection))
                    })
            }
        }
        router.put("/api/v1/users/{user}/role") { request, context in
            let user = try LedgerAPI.pathName(context, "user", kind: .user)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["role"])
            let command = Command.setUserRole(username: user, role: try body.requiredString("role"))
            return try await api.mutate(
                request, body: body, commands: [command],
                check: { _, ledger in
                    try Visibility.existingUser(user, reader: PostgresLedger(connection: ledger.connection))
                })
        }
        router.delete("/api/v1/users/{user}") { request, context in
            let user = try LedgerAPI.pathName(context, "user", kind: .user)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: [])
            return try await api.mutate(
                request, body: body, commands: [.deleteUser(username: user)],
                check: { _, ledger in
                    try Visibility.existingUser(user, reader: PostgresLedger(connection: ledger.connection))
                })
        }
        addTokenRoutes(to: router)
        router.post("/api/v1/users/{user}/groups/sync") { request, context in
            let user = try LedgerAPI.pathName(context, "user", kind: .user)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["groups", "create_missing"])
            guard let groups = try body.strings("groups") else {
                throw LedgerError.invalidInput("field \"groups\" is required (an empty array for none)")
            }
            let command = Command.syncGroups(
                user: user, groups: try JSONBody.names(groups, field: "groups", kind: .group),
                createMissing: try body.bool("create_missing") ?? false)
            return try await api.mutate(
                request, body: body, commands: [command],
                check: { _, ledger in
                    try Visibility.existingUser(user, reader: PostgresLedger(connection: ledger.connection))
                })
        }
    }

    func addTokenRoutes(to router: Router<LedgerContext>) {
        let api = self
        router.post("/api/v1/users/{user}/tokens") { request, context in
            let user = try LedgerAPI.pathName(context, "user", kind: .user)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: ["name", "lifetime"])
            let name = try body.requiredString("name")
            let secret = TokenSecret.generate()
            let command = Command.createToken(
                user: user, name: name, lifetime: try body.requiredString("lifetime"),
                secretSHA256: TokenSecret.sha256Hex(secret))
            // `{"token": {…as in tokens list}, "secret", "events"}`; an idempotency key keeps
            // the answer without the secret, which is never stored.
            @Sendable func answer(_ outcome: CommandOutcome, secret: String?) -> OutputJSON {
                var token = OutputJSON.null
                for recorded in outcome.events {
                    guard
                        case .tokenCreated(let username, let tokenName, let lifetime, _)? = try? LedgerEvent(
                            recorded: recorded)
                    else { continue }
                    let created = recorded.occurredAt
                    token = JSONShapes.token(
                        TokenRecord(
                            username: username, name: tokenName, lifetimeSeconds: lifetime, secretSHA256: "",
                            createdAt: created,
                            expiresAt: Timestamp(microseconds: created.microseconds + lifetime * 1_000_000),
                            revokedAt: nil))
                }
                return .object([
                    ("token", token), ("secret", .string(secret)),
                    ("events", .array(outcome.events.map(JSONShapes.event))),
                ])
            }
            return try await api.mutate(
                request, body: body, commands: [command], status: 201,
                check: { _, ledger in
                    try Visibility.existingUser(user, reader: PostgresLedger(connection: ledger.connection))
                },
                answer: { answer($0, secret: secret) }, storedAnswer: { answer($0, secret: nil) })
        }
        router.get("/api/v1/users/{user}/tokens") { request, context in
            let user = try LedgerAPI.pathName(context, "user", kind: .user)
            _ = try Query(request, allowed: [])
            return try await api.readJSON(request) { principal, ledger in
                let record = try Visibility.user(
                    user, for: principal, reader: PostgresLedger(connection: ledger.connection))
                return .array(try ledger.tokens(user: record.username).map(JSONShapes.token))
            }
        }
        router.delete("/api/v1/users/{user}/tokens/{token}") { request, context in
            let user = try LedgerAPI.pathName(context, "user", kind: .user)
            let token = try LedgerAPI.pathName(context, "token", kind: .token)
            var request = request
            let body = try await JSONBody.read(&request, context: context, allowed: [])
            return try await api.mutate(
                request, body: body, commands: [.revokeToken(user: user, name: token)],
                check: { _, ledger in
                    let reader = PostgresLedger(connection: ledger.connection)
                    try Visibility.existingUser(user, reader: reader)
                    try Visibility.existingToken(user: user, name: token, reader: reader)
                })
        }
    }
}
