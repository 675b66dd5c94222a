import AccessModel
import Foundation
import LedgerStore
import TestSupport
import Testing

/// SPEC §9 in a real browser: `accessledger audit report` pages opened by headless Chromium.
/// The DOM Chromium builds holds exactly one `rect.bar` per `audit history` interval of the same
/// arguments, with the same positions and times, in the same order; hostile reasons stay text
/// (no script runs, none exists in the DOM, the CSP is there); the page renders to a
/// screenshot that is not blank and prints to a PDF whose page count grows with the report.
/// Skipped when Chromium is not installed (`tools/test` installs it when run as root).
@Suite(
    "Browser: the audit report in headless Chromium",
    .enabled(
        if: AuditReportChromium.path != nil,
        "chromium is not installed (looked for /usr/bin/chromium and chromium on PATH); tools/test installs it as root"
    ))
struct AuditReportBrowserTests {
    static let workspace = "oncall-sre/oncall-workspace"
    static let notebook = "alice/notebook"
    static let scriptReason = "<script>alert(1)</script>"
    static let quotesReason = "\"quotes\" & <b>tags</b>"
    static let imageReason = "<img src=x onerror=\"document.title='pwned'\">"

    /// A history with every kind of bar: alice (admin, then removed: pending at the end), bob
    /// (shared, removed: pending until a restart, then shared again as admin), the group
    /// sre-oncall (dave and erin), and a second workspace bob can reach; the reasons are hostile.
    static func world() throws -> LedgerCLI {
        let cli = try LedgerCLI.make()
        try cli.createUsers(["oncall-sre", "alice", "bob", "dave", "erin"])
        try cli.ok(["groups", "create", "sre-oncall"])
        try cli.ok(["groups", "edit", "sre-oncall", "--add-users", "dave,erin"])
        try cli.ok(["create", workspace, "--template", "oncall"], as: "oncall-sre")
        try cli.ok(["create", notebook, "--template", "oncall"], as: "alice")
        try cli.ok(["sharing", "share", workspace, "--user", "alice:admin,bob", "--reason", scriptReason])
        try cli.ok(["sharing", "share", workspace, "--group", "sre-oncall", "--reason", quotesReason])
        try cli.ok(["sharing", "share", notebook, "--user", "bob"])
        try cli.ok(["sharing", "remove", workspace, "--user", "bob", "--reason", imageReason])
        try cli.ok(["restart", workspace, "--reason", "shift change"])
        try cli.ok(["sharing", "share", workspace, "--user", "bob:admin"])
        try cli.ok(["groups", "edit", "sre-oncall", "--rm-users", "erin"])
        try cli.ok(["sharing", "remove", workspace, "--user", "alice"])
        return cli
    }

    /// The time of the first event of `type` (with `reason`, when given) in the log.
    static func time(of type: String, reason: String? = nil, in cli: LedgerCLI) throws -> String {
        let event = try cli.events().first {
            $0["type"]?.stringValue == type && (reason == nil || $0["reason"]?.stringValue == reason)
        }
        return try #require(event?["time"]?.stringValue, "no \(type) event")
    }

    /// Writes the report for `arguments` to a file in `directory` and returns its path.
    static func report(_ arguments: [String], cli: LedgerCLI, in directory: URL, name: String = "report.html") throws
        -> String
    {
        let path = directory.appendingPathComponent(name).path
        try cli.ok(["audit", "report"] + arguments + ["--output", path])
        return path
    }

    @Test func everyBarIsOneAuditHistoryIntervalInOrder() throws {
        let cli = try Self.world()
        defer { cli.drop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let groupShared = try Self.time(of: "workspace_shared", reason: Self.quotesReason, in: cli)
        let restarted = try Self.time(of: "workspace_restarted", in: cli)
        let cases: [[String]] = [
            ["--workspace", Self.workspace],
            ["--workspace", Self.workspace, "--since", groupShared, "--until", restarted],
            ["--workspace", Self.workspace, "--since", restarted],
            ["--user", "bob"],
            ["--user", "bob", "--until", restarted],
            ["--user", "erin"],
        ]
        var shown: [Int: [ReportBar]] = [:]
        for (index, arguments) in cases.enumerated() {
            let intervals = try #require(try cli.json(["audit", "history"] + arguments).arrayValue)
            let expected = intervals.map { interval in
                ReportBar(
                    state: interval["state"]?.stringValue ?? "?",
                    fromPosition: interval["from"]?["position"]?.intValue.map(String.init) ?? "?",
                    toPosition: interval["to"]?["position"]?.intValue.map(String.init) ?? "",
                    from: interval["from"]?["time"]?.stringValue ?? "?",
                    to: interval["to"]?["time"]?.stringValue ?? "",
                    row: (arguments[0] == "--user" ? interval["workspace"] : interval["username"])?.stringValue ?? "?")
            }
            let page = try Self.report(arguments, cli: cli, in: directory.url, name: "report-\(index).html")
            let dom = try AuditReportChromium.dumpDOM(of: page)
            let bars = ReportBar.all(in: dom)
            let command = arguments.joined(separator: " ")
            #expect(bars.count == intervals.count, "\(command): \(bars.count) bars, \(intervals.count) intervals")
            #expect(bars == expected, "\(command)")
            #expect(!intervals.isEmpty, "\(command): the case should show some access")
            shown[index] = bars
        }
        // The whole history has both states, a bar still open, and the group's members.
        let all = shown[0] ?? []
        #expect(Set(all.map(\.state)) == ["active", "pending_revocation"])
        #expect(all.contains { $0.toPosition.isEmpty && $0.to.isEmpty && $0.state == "pending_revocation" })
        #expect(Set(all.map(\.row)) == ["alice", "bob", "dave", "erin"])
        // A user's report has a row per workspace.
        let bob = shown[3] ?? []
        #expect(Set(bob.map(\.row)) == [Self.workspace, Self.notebook])
    }

    @Test func hostileReasonsAreTextAndNoScriptRuns() throws {
        let cli = try Self.world()
        defer { cli.drop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // First, that this browser does run a page's scripts: otherwise the title check proves nothing.
        let control = directory.url.appendingPathComponent("control.html")
        try
            "<!DOCTYPE html><html><head><title>before</title></head><body><script>document.title='ran'</script></body></html>"
            .write(to: control, atomically: true, encoding: .utf8)
        #expect(
            documentTitle(try AuditReportChromium.dumpDOM(of: control.path)) == "ran", "the control page's script ran")

        let dom = try AuditReportChromium.dumpDOM(
            of: try Self.report(["--workspace", Self.workspace], cli: cli, in: directory.url))
        #expect(documentTitle(dom) == "accessledger audit report: Workspace \(Self.workspace)", "no script changed it")
        expect(dom, lacks: "pwned</title>")
        // The reasons are the events table's text, escaped as the browser serialises text.
        expect(dom, contains: "<td class=\"reason\">&lt;script&gt;alert(1)&lt;/script&gt;</td>")
        expect(dom, contains: "<td class=\"reason\">\"quotes\" &amp; &lt;b&gt;tags&lt;/b&gt;</td>")
        expect(dom, contains: "<td class=\"reason\">&lt;img src=x onerror=\"document.title='pwned'\"&gt;</td>")
        // …and the tooltips' text.
        expect(dom, contains: "(&lt;script&gt;alert(1)&lt;/script&gt;)")
        expect(dom, contains: "(\"quotes\" &amp; &lt;b&gt;tags&lt;/b&gt;)")
        // No element came out of them.
        let lower = dom.lowercased()
        let elements = ["<script", "<img", "<b>"].filter { lower.contains($0) }
        #expect(elements.isEmpty, "elements made of reasons: \(elements)")
        expect(
            dom,
            contains:
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';",
            "the CSP meta")
    }

    @Test func screenshotIsNotBlank() throws {
        let cli = try Self.world()
        defer { cli.drop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let page = try Self.report(["--workspace", Self.workspace], cli: cli, in: directory.url)
        let shot = directory.url.appendingPathComponent("report.png")
        let blank = directory.url.appendingPathComponent("blank.png")
        try AuditReportChromium.screenshot(of: "file://" + page, to: shot.path)
        try AuditReportChromium.screenshot(of: "about:blank", to: blank.path)
        let png = try Data(contentsOf: shot)
        let blankPNG = try Data(contentsOf: blank)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(PNGHeader(png)?.size == PNGHeader.Size(width: 1400, height: 900))
        #expect(png.count > 4 * blankPNG.count, "report \(png.count) bytes, about:blank \(blankPNG.count) bytes")

        // Kept for a person to look at.
        let artefacts = URL(fileURLWithPath: repositoryRoot).appendingPathComponent(".build/test-artefacts")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let kept = artefacts.appendingPathComponent("audit-report.png")
        try? FileManager.default.removeItem(at: kept)
        try FileManager.default.copyItem(at: shot, to: kept)

        // The pixels, when python3 is there to decode them: many colours, among them both bar fills.
        guard let colours = try PNGColours.count(shot.path, looking: ["2f7d4f", "e07b00"]) else { return }
        #expect(colours.distinct > 50, "\(colours.distinct) colours")
        #expect(colours.found == ["2f7d4f", "e07b00"], "an active and a pending bar are drawn")
        let blankColours = try #require(try PNGColours.count(blank.path, looking: []))
        #expect(blankColours.distinct == 1, "the control: about:blank is one colour")
    }

    @Test func printsToAPDFWhosePagesGrowWithTheReport() throws {
        let cli = try Self.world()
        defer { cli.drop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let small = try Self.report(["--workspace", Self.workspace], cli: cli, in: directory.url, name: "small.html")
        let smallPages = try AuditReportChromium.printedPages(
            of: small, to: directory.url.appendingPathComponent("small.pdf").path)
        #expect(smallPages >= 1 && smallPages <= 3, "\(smallPages) pages")

        // ~300 users, created through the library (one process, not 300); shared, half removed
        // (pending), the workspace restarted, a quarter shared again: ~525 intervals on 300 rows.
        let names = (1...300).map { "user\(String(1000 + $0).dropFirst())" }
        let connection = try cli.db.connectAsApp()
        let ledger = Ledger(connection: connection)
        for name in names {
            try ledger.execute(.createUser(username: name, serviceAccount: false, role: nil), actor: "admin")
        }
        connection.close()
        let big = "oncall-sre/big"
        try cli.ok(["create", big, "--template", "oncall"], as: "oncall-sre")
        try cli.ok(["sharing", "share", big, "--user", names.joined(separator: ",")])
        try cli.ok(["sharing", "remove", big, "--user", names.prefix(150).joined(separator: ",")])
        try cli.ok(["restart", big])
        try cli.ok(["sharing", "share", big, "--user", names.prefix(75).map { $0 + ":admin" }.joined(separator: ",")])
        let intervals = try cli.json(["audit", "history", "--workspace", big]).arrayValue ?? []
        #expect(intervals.count == 525)

        let large = try Self.report(["--workspace", big], cli: cli, in: directory.url, name: "large.html")
        #expect(ReportBar.all(in: try String(contentsOfFile: large, encoding: .utf8)).count == intervals.count)
        let largePages = try AuditReportChromium.printedPages(
            of: large, to: directory.url.appendingPathComponent("large.pdf").path)
        #expect(largePages > smallPages + 5, "small \(smallPages) pages, large \(largePages) pages")
        #expect(largePages < 200, "\(largePages) pages")
    }

    @Test func anEmptyPeriodShowsTheEmptyStateAndNoBars() throws {
        let cli = try Self.world()
        defer { cli.drop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Before the workspace existed: the first event is the site owner's creation.
        let first = try #require(try cli.events().first?["time"]?.stringValue)
        let arguments = ["--workspace", Self.workspace, "--until", first]
        #expect(try cli.json(["audit", "history"] + arguments).arrayValue?.count == 0)
        let dom = try AuditReportChromium.dumpDOM(of: try Self.report(arguments, cli: cli, in: directory.url))
        #expect(ReportBar.all(in: dom).isEmpty)
        expect(dom, lacks: "<svg", "no timeline drawn")
        expect(dom, contains: "<p class=\"empty\">No access in this period.</p>")
        expect(dom, contains: "<p class=\"empty\">No events in this period.</p>")
        expect(dom, contains: "<span class=\"ok\">verified</span>", "the evidence is there all the same")

        // A user with no access at all: also empty, also exit 0.
        try cli.createUsers(["frank"])
        let frank = try AuditReportChromium.dumpDOM(
            of: try Self.report(["--user", "frank"], cli: cli, in: directory.url, name: "frank.html"))
        #expect(ReportBar.all(in: frank).isEmpty)
        expect(frank, contains: "<p class=\"empty\">No access in this period.</p>")
    }

    /// Expects `page` to contain `text`, naming only `text` when it does not (a DOM is long).
    func expect(
        _ page: String, contains text: String, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = page.contains(text)
        #expect(found, "missing: \(text) \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
    }

    /// Expects `page` not to contain `text`.
    func expect(
        _ page: String, lacks text: String, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = page.contains(text)
        #expect(!found, "present: \(text) \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
    }

    /// The text of the document's `<title>` (the head's: the first one, before the SVG's).
    func documentTitle(_ dom: String) -> String? {
        guard let open = dom.range(of: "<title>"),
            let close = dom.range(of: "</title>", range: open.upperBound..<dom.endIndex)
        else { return nil }
        return String(dom[open.upperBound..<close.lowerBound])
    }
}

extension AuditReportBrowserTests {
    /// A timeline bar as the DOM has it, or the `audit history` interval it should show.
    struct ReportBar: Equatable, CustomStringConvertible {
        var state: String
        var fromPosition: String
        var toPosition: String
        var from: String
        var to: String
        var row: String

        var description: String { "\(row) \(state) \(fromPosition)→\(toPosition) (\(from)→\(to))" }

        /// Every `<rect class="bar …">` of a page or DOM, in document order.
        static func all(in html: String) -> [ReportBar] {
            html.matches(of: #/<rect class="bar ([a-z_]+)"([^>]*)>/#).map { match in
                var attributes: [String: String] = [:]
                for attribute in match.output.2.matches(of: #/([a-z-]+)="([^"]*)"/#) {
                    attributes[String(attribute.output.1)] = unescape(String(attribute.output.2))
                }
                return ReportBar(
                    state: String(match.output.1), fromPosition: attributes["data-from-position"] ?? "?",
                    toPosition: attributes["data-to-position"] ?? "?", from: attributes["data-from"] ?? "?",
                    to: attributes["data-to"] ?? "?", row: attributes["data-row"] ?? "?")
            }
        }

        static func unescape(_ text: String) -> String {
            text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
        }
    }

    /// Width and height from a PNG's IHDR.
    struct PNGHeader {
        struct Size: Equatable {
            var width: Int
            var height: Int
        }
        var size: Size

        init?(_ data: Data) {
            let bytes = [UInt8](data.prefix(24))
            guard bytes.count == 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
            func int(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
            size = Size(width: int(16), height: int(20))
        }
    }

    /// The colours of an 8-bit RGB(A) PNG, decoded by python3 (zlib and the five row filters);
    /// nil when python3 is missing.
    enum PNGColours {
        static let script = #"""
            import sys, zlib, struct
            data = open(sys.argv[1], 'rb').read()
            pos, idat = 8, b''
            while pos < len(data):
                n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
                if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
                elif kind == b'IDAT': idat += body
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 4 if ctype == 6 else 3; stride = w * bpp
            raw = zlib.decompress(idat); prev = bytearray(stride); colours = set(); i = 0
            for y in range(h):
                f = raw[i]; row = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
                if f == 1:
                    for x in range(bpp, stride): row[x] = (row[x] + row[x - bpp]) & 255
                elif f == 2:
                    row = bytearray((a + b) & 255 for a, b in zip(row, prev))
                elif f == 3:
                    for x in range(stride): row[x] = (row[x] + ((row[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
                elif f == 4:
                    for x in range(stride):
                        a = row[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                for x in range(0, stride, bpp): colours.add(bytes(row[x:x + 3]))
                prev = row
            print(len(colours)); print(' '.join(sorted(c.hex() for c in colours if c.hex() in sys.argv[2:])))
            """#

        static func count(_ png: String, looking wanted: [String]) throws -> (distinct: Int, found: Set<String>)? {
            let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            guard let python else { return nil }
            let result = try runProcess(python, ["-c", script, png] + wanted)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            guard let distinct = lines.first.flatMap({ Int($0) }) else { return nil }
            return (distinct, Set(lines.dropFirst().first?.split(separator: " ").map(String.init) ?? []))
        }
    }

    /// A directory under the system's temporary directory, removed by ``remove()``.
    struct TemporaryDirectory {
        let url: URL

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("al-browser-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }
}

/// Headless Chromium, each run with a fresh profile in a temporary directory and a bound on its
/// time (GNU `timeout`, which ends the whole process group, and a deadline of our own).
enum AuditReportChromium {
    static let path: String? = {
        let files = FileManager.default
        if files.isExecutableFile(atPath: "/usr/bin/chromium") { return "/usr/bin/chromium" }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] where files.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }()

    static let timeout = 60

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs chromium with `arguments` after the headless ones; returns its stdout.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        guard let path else { throw Failure(description: "chromium is not installed") }
        let directory = try AuditReportBrowserTests.TemporaryDirectory()
        defer { directory.remove() }
        let stdout = directory.url.appendingPathComponent("stdout")
        let stderr = directory.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let browser = [
            path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--user-data-dir=\(directory.url.appendingPathComponent("profile").path)",
        ]
        let process = Process()
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
            process.arguments = ["-k", "5", String(timeout)] + browser + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = Array(browser.dropFirst()) + arguments
        }
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory.url.path,
        ]
        let out = try FileHandle(forWritingTo: stdout)
        let err = try FileHandle(forWritingTo: stderr)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(Double(timeout + 10))
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure(description: "chromium \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        let output = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            let reason = process.terminationStatus == 124 ? "timed out after \(timeout) s" : "failed"
            throw Failure(
                description:
                    "chromium \(arguments.joined(separator: " ")) \(reason) (\(process.terminationStatus)): \(log.suffix(2000))"
            )
        }
        return output
    }

    /// The DOM of the file at `path` once loaded, as Chromium serialises it.
    static func dumpDOM(of path: String) throws -> String {
        let dom = try run(["--dump-dom", "file://" + path])
        guard dom.contains("</html>") else {
            throw Failure(description: "no DOM dumped for \(path): \(dom.prefix(200))")
        }
        return dom
    }

    /// A 1400×900 screenshot of `url`.
    static func screenshot(of url: String, to file: String) throws {
        try run(["--window-size=1400,900", "--screenshot=\(file)", url])
        guard FileManager.default.fileExists(atPath: file) else {
            throw Failure(description: "no screenshot of \(url)")
        }
    }

    /// Prints the page at `path` to a PDF and returns its number of pages (its `/Type /Page`
    /// objects, not `/Pages`).
    static func printedPages(of path: String, to pdf: String) throws -> Int {
        try run(["--no-pdf-header-footer", "--print-to-pdf=\(pdf)", "file://" + path])
        let data = try Data(contentsOf: URL(fileURLWithPath: pdf))
        #expect(data.starts(with: Array("%PDF".utf8)), "a PDF")
        let text = String(decoding: data.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        return text.matches(of: #//Type\s*/Page(?!s)/#).count
    }
}
