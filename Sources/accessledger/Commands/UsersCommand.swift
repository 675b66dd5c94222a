import AccessModel
import ArgumentParser

/// `accessledger users create|suspend|activate|delete|set-role|list`.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage users and service accounts.",
        subcommands: [Create.self, Suspend.self, Activate.self, Delete.self, SetRole.self, UsersListCommand.self])

    struct Create: MutatingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user (the very first user needs no --as and becomes a site owner).")

        @Option(help: "The new username.") var username: String
        @Flag(help: "A non-human account that authenticates only by token.") var serviceAccount = false
        @Option(help: "Site role: owner, user-admin, auditor or member (default: member; owner for the first user).")
        var role: String?
        @OptionGroup var mutation: MutationOptions

        func command() -> Command { .createUser(username: username, serviceAccount: serviceAccount, role: role) }
        func run() throws { try mutation.perform(command()) }
    }

    struct Suspend: MutatingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend a user: they lose workspace access (live sessions last until a restart).")
        @Argument(help: "The username.") var username: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .suspendUser(username: username) }
        func run() throws { try mutation.perform(command()) }
    }

    struct Activate: MutatingCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a suspended user.")
        @Argument(help: "The username.") var username: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .activateUser(username: username) }
        func run() throws { try mutation.perform(command()) }
    }

    struct Delete: MutatingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user: their memberships, direct shares and tokens end.")
        @Argument(help: "The username.") var username: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .deleteUser(username: username) }
        func run() throws { try mutation.perform(command()) }
    }

    struct SetRole: MutatingCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-role", abstract: "Change a user's site role.")
        @Argument(help: "The username.") var username: String
        @Option(help: "owner, user-admin, auditor or member.") var role: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .setUserRole(username: username, role: role) }
        func run() throws { try mutation.perform(command()) }
    }
}
