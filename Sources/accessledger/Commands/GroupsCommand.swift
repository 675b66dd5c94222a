import AccessModel
import ArgumentParser

/// `accessledger groups create|edit|delete|sync|list`.
struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "Manage groups and record IdP group syncs.",
        subcommands: [Create.self, Edit.self, Delete.self, Sync.self, GroupsListCommand.self])

    struct Create: MutatingCommand {
        static let configuration = CommandConfiguration(abstract: "Create a group.")
        @Argument(help: "The group name.") var name: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .createGroup(name: name) }
        func run() throws { try mutation.perform(command()) }
    }

    struct Edit: MutatingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or remove members (a member who leaves keeps live sessions until a restart).")
        @Argument(help: "The group name.") var name: String
        @Option(help: ArgumentHelp("Users to add (comma-separated; repeatable).", valueName: "users"))
        var addUsers: [String] = []
        @Option(help: ArgumentHelp("Users to remove (comma-separated; repeatable).", valueName: "users"))
        var rmUsers: [String] = []
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .editGroup(name: name, addUsers: addUsers, removeUsers: rmUsers) }
        func run() throws { try mutation.perform(command()) }
    }

    struct Delete: MutatingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a group: its memberships end and it leaves every ACL.")
        @Argument(help: "The group name.") var name: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .deleteGroup(name: name) }
        func run() throws { try mutation.perform(command()) }
    }

    struct Sync: MutatingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an IdP login: the user's groups become exactly the listed ones that exist.",
            discussion: """
                As Coder's group sync does, memberships not listed are removed (manual ones too), \
                `Everyone` is kept, and unknown names are ignored and reported, or created with \
                source idp under --create-missing. Give --groups "" for a login claiming no groups.
                """)
        @Option(help: "The user who logged in.") var user: String
        @Option(help: ArgumentHelp("The groups the IdP claimed (comma-separated; repeatable).", valueName: "groups"))
        var groups: [String]
        @Flag(help: "Create claimed groups that do not exist (source idp).") var createMissing = false
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .syncGroups(user: user, groups: groups, createMissing: createMissing) }
        func run() throws { try mutation.perform(command()) }
    }
}
