import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger audit report (--workspace W | --user U) [--since T1] [--until T2] [--output FILE]`:
/// one self-contained HTML page for an auditor (SPEC §9): the evidence, the access at the end of
/// the period, a timeline of the `audit history` intervals, and the events of the period. Open it
/// in a browser; print it (A4 landscape) to keep it as a PDF.
struct AuditReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "An HTML report of who could reach a workspace (or what a user could reach).")

    @Option(help: ArgumentHelp("The workspace (OWNER/NAME).", valueName: "owner/name")) var workspace: String?
    @Option(help: ArgumentHelp("The user.", valueName: "user")) var user: String?
    @Option(help: ArgumentHelp("From this time (RFC 3339).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Until this time (RFC 3339).", valueName: "time")) var until: String?
    @Option(help: ArgumentHelp("Write the page to this file (default: stdout).", valueName: "file"))
    var output: String?
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let subject = try Input.subject(workspace: workspace, user: user, names: ("--workspace", "--user"))
        let from = try since.map { try Input.time($0, name: "--since") }
        let to = try until.map { try Input.time($0, name: "--until") }
        let connection = try database.open()
        defer { connection.close() }
        let report = try AuditReport.gather(
            on: connection, subject: subject, since: from, until: to, now: try AuditReport.now(on: connection))
        let page = report.html()
        guard let output else {
            print(page, terminator: "")
            return
        }
        try CheckpointFile.write(page, to: output)
        Terminal.standardError.write("wrote \(output)\n")
    }
}
