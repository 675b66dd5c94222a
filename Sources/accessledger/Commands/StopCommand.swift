import AccessModel
import ArgumentParser

/// `accessledger stop OWNER/NAME`.
struct StopCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a workspace (every live session ends).")

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @OptionGroup var mutation: MutationOptions

    func command() -> Command { .stopWorkspace(workspace: workspace) }
    func run() throws { try mutation.perform(command()) }
}
