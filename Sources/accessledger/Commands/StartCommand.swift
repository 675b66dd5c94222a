import AccessModel
import ArgumentParser

/// `accessledger start OWNER/NAME`.
struct StartCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a stopped workspace (live roles become the current roles).")

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @OptionGroup var mutation: MutationOptions

    func command() -> Command { .startWorkspace(workspace: workspace) }
    func run() throws { try mutation.perform(command()) }
}
