import AccessModel
import ArgumentParser

/// `accessledger delete OWNER/NAME`.
struct DeleteCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a workspace (only its owner or a site owner may).")

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @OptionGroup var mutation: MutationOptions

    func command() -> Command { .deleteWorkspace(workspace: workspace) }
    func run() throws { try mutation.perform(command()) }
}
