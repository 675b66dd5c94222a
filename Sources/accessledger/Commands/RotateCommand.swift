import AccessModel
import ArgumentParser

/// `accessledger rotate OWNER/NAME [--out USER] --in USER [--no-restart]`: the guide's rotation
/// script (remove, add, restart) as one transaction — all of it or nothing.
struct RotateCommand: MutatingCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate access: remove --out, share with --in, restart — in one transaction.",
        discussion: """
            --in takes USER or USER:ROLE (default use). The restart happens only when the workspace is \
            running (a stopped workspace is not started); --no-restart leaves --out pending revocation.
            """)

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @Option(name: .customLong("out"), help: ArgumentHelp("The outgoing user.", valueName: "user"))
    var outgoing: String?
    @Option(name: .customLong("in"), help: ArgumentHelp("The incoming user (USER or USER:ROLE).", valueName: "user"))
    var incoming: String
    @Flag(name: .customLong("no-restart"), help: "Do not restart; the outgoing user stays pending revocation.")
    var noRestart = false
    @OptionGroup var mutation: MutationOptions

    func command() -> Command {
        .rotate(workspace: workspace, outgoing: outgoing, incoming: incoming, restart: !noRestart)
    }
    func run() throws { try mutation.perform(command()) }
}
