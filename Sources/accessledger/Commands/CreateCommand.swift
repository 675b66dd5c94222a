import AccessModel
import ArgumentParser

/// `accessledger create OWNER/NAME --template T`: a new workspace, running.
struct CreateCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a workspace (it starts running).")

    @Argument(help: ArgumentHelp("The new workspace.", valueName: "owner/name")) var workspace: String
    @Option(help: "The template it is built from.") var template: String
    @OptionGroup var mutation: MutationOptions

    func command() -> Command { .createWorkspace(workspace: workspace, template: template) }
    func run() throws { try mutation.perform(command()) }
}
