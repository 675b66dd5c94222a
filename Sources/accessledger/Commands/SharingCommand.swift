import AccessModel
import ArgumentParser
import LedgerStore

/// `accessledger sharing share|remove|status`: a workspace's ACL.
struct SharingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharing", abstract: "Share a workspace with users and groups, or remove them.",
        subcommands: [Share.self, Remove.self, SharingStatusCommand.self])

    struct Share: MutatingCommand {
        static let configuration = CommandConfiguration(
            commandName: "share", abstract: "Grant users and groups the use (default) or admin role.",
            aliases: ["add"])

        @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
        @Option(help: ArgumentHelp("Users as name[:use|admin] (comma-separated; repeatable).", valueName: "users"))
        var user: [String] = []
        @Option(help: ArgumentHelp("Groups as name[:use|admin] (comma-separated; repeatable).", valueName: "groups"))
        var group: [String] = []
        @OptionGroup var mutation: MutationOptions

        func command() -> Command { .share(workspace: workspace, users: user, groups: group) }
        func run() throws {
            try mutation.perform(command()) { ledger, outcome in
                // A downgrade from admin to use lingers like a removal.
                try SharingCommand.noteRestart(workspace, ledger: ledger, outcome: outcome)
            }
        }
    }

    struct Remove: MutatingCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove",
            abstract: "Remove users and groups from the ACL (full effect after the next restart).",
            aliases: ["rm", "unshare"])

        @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
        @Option(help: ArgumentHelp("Users to remove (comma-separated; repeatable).", valueName: "users"))
        var user: [String] = []
        @Option(help: ArgumentHelp("Groups to remove (comma-separated; repeatable).", valueName: "groups"))
        var group: [String] = []
        @OptionGroup var mutation: MutationOptions

        func command() -> Command { .unshare(workspace: workspace, users: user, groups: group) }
        func run() throws {
            try mutation.perform(command()) { ledger, outcome in
                try SharingCommand.noteRestart(workspace, ledger: ledger, outcome: outcome)
            }
        }
    }

    /// After a change to the ACL, says who keeps live access until the workspace restarts.
    static func noteRestart(_ workspace: String, ledger: Ledger, outcome: CommandOutcome) throws {
        guard !outcome.isNoOp else { return }
        let (status, _) = try ledger.sharingStatus(workspace)
        let pending = status.access.filter { $0.state == .pendingRevocation }.map(\.username)
        guard !pending.isEmpty else { return }
        print(
            "restart required: \(pending.joined(separator: ", ")) may still be connected "
                + "(pending revocation) until `accessledger restart \(status.workspace)`")
    }
}
