import AccessModel
import ArgumentParser

/// `accessledger restart OWNER/NAME`.
struct RestartCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Restart a workspace: sessions end and pending revocations take effect.")

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @OptionGroup var mutation: MutationOptions

    func command() -> Command { .restartWorkspace(workspace: workspace) }
    func run() throws { try mutation.perform(command()) }
}
