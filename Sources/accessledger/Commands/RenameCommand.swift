import AccessModel
import ArgumentParser

/// `accessledger rename OWNER/NAME NEWNAME`.
struct RenameCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename", abstract: "Rename a workspace (its owner stays the same).")

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @Argument(help: ArgumentHelp("Its new name.", valueName: "new-name")) var newName: String
    @OptionGroup var mutation: MutationOptions

    func command() -> Command { .renameWorkspace(workspace: workspace, newName: newName) }
    func run() throws { try mutation.perform(command()) }
}
