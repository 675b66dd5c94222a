import Testing

@testable import AccessModel

@Suite struct NameTests {
    @Test(arguments: [
        "a", "alice", "Alice", "oncall-sre", "a-b-c", "A1-b2", "0", "x9", String(repeating: "a", count: 32),
        "sre-oncall-2026",
    ])
    func validNames(_ text: String) throws {
        let name = try Name(text, kind: .user)
        #expect(name.value == text)
        #expect(name.key == text.lowercased())
    }

    @Test(arguments: [
        "", "-", "-a", "a-", "a--b", "alice_bob", "alice bob", "alice:admin", "alice_bob:admin", "a.b", "a/b",
        "\"alice\"", "'alice'", "ålice", "アリス", "alice\u{301}", "a\nb", " alice", "alice ", "a\u{0}",
        String(repeating: "a", count: 33), "ＡＢ", "é",
    ])
    func invalidNames(_ text: String) {
        #expect(!Name.isValid(text))
        #expect(throws: Refusal.self) { try Name(text, kind: .group) }
    }

    @Test func errorNamesTheValueVerbatim() {
        #expect(
            throws: Refusal.invalidInput(
                "invalid user name \"alice_bob\": names may contain only letters, digits and single hyphens "
                    + "(at most 32 characters)")
        ) { try Name("alice_bob", kind: .user) }
        let long = String(repeating: "b", count: 33)
        do {
            _ = try Name(long, kind: .workspace)
            Issue.record("33 characters accepted")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.hasPrefix("invalid workspace name \"\(long)\""))
        }
    }

    @Test func messagesStayOnOneLineAndEscapeQuotes() {
        do {
            _ = try Name("a\"b\nc", kind: .token)
            Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("invalid token name \"a\\\"b\\nc\""))
            #expect(!error.message.contains("\n"))
        }
        do {
            _ = try Name("ålice", kind: .user)
            Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("invalid user name \"ålice\""))
        }
    }

    @Test func keysAreCaseInsensitive() throws {
        #expect(try Name("OnCall-SRE", kind: .user).key == "oncall-sre")
        #expect(Name.key("ABC-def") == "abc-def")
        #expect(try Name("Alice", kind: .user) != Name("alice", kind: .user))
        #expect(try Name("Alice", kind: .user).key == Name("alice", kind: .user).key)
    }

    @Test func workspaceReferences() throws {
        let reference = try WorkspaceReference(parsing: "OnCall-SRE/oncall-workspace")
        #expect(reference.owner.value == "OnCall-SRE")
        #expect(reference.name.value == "oncall-workspace")
        #expect(reference.description == "OnCall-SRE/oncall-workspace")
        for bad in ["", "ws", "/ws", "owner/", "a/b/c", "a_b/ws", "owner/w s", "owner//ws", " owner/ws"] {
            #expect(throws: Refusal.self, "\(bad)") { try WorkspaceReference(parsing: bad) }
        }
        #expect(throws: Refusal.invalidInput("invalid workspace \"ws\": expected OWNER/NAME")) {
            try WorkspaceReference(parsing: "ws")
        }
        do {
            _ = try WorkspaceReference(parsing: "al_ice/ws")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("owner \"al_ice\""))
            #expect(error.exitCode == 2)
        }
    }

    @Test func rolesParseCaseSensitively() throws {
        #expect(try WorkspaceRole(parsing: "use") == .use)
        #expect(try WorkspaceRole(parsing: "admin") == .admin)
        #expect(throws: Refusal.invalidInput("invalid role \"Admin\": expected \"use\" or \"admin\"")) {
            try WorkspaceRole(parsing: "Admin")
        }
        #expect(WorkspaceRole.use < .admin)
        #expect(WorkspaceRole.highest(nil, .use) == .use)
        #expect(WorkspaceRole.highest(.admin, .use) == .admin)
        #expect(WorkspaceRole.highest(nil, nil) == nil)
        #expect(WorkspaceRole.isHigher(.use, than: nil))
        #expect(!WorkspaceRole.isHigher(nil, than: .use))
        #expect(!WorkspaceRole.isHigher(.use, than: .use))
        #expect(try SiteRole(parsing: "user-admin") == .userAdmin)
        for bad in ["Owner", "admin", "user_admin", ""] {
            #expect(throws: Refusal.self) { try SiteRole(parsing: bad) }
        }
        #expect(AccessState(effective: nil, live: .use) == .pendingRevocation)
        #expect(AccessState(effective: .use, live: .admin) == .pendingRevocation)
        #expect(AccessState(effective: .admin, live: .admin) == .active)
        #expect(AccessState(effective: .use, live: nil) == .active)
    }
}

@Suite struct ShareEntryTests {
    @Test func entries() throws {
        #expect(try ShareEntry(parsing: "alice", kind: .user) == ShareEntry(name: "alice", role: .use))
        #expect(try ShareEntry(parsing: "alice:use", kind: .user) == ShareEntry(name: "alice", role: .use))
        #expect(try ShareEntry(parsing: "Alice:admin", kind: .user) == ShareEntry(name: "Alice", role: .admin))
        #expect(try ShareEntry(parsing: "sre-oncall:admin", kind: .group).role == .admin)
    }

    @Test func wholeEntryMustMatch() {
        #expect(
            throws: Refusal.invalidInput(
                "invalid user entry \"alice_bob:admin\": \"alice_bob\" is not a valid name "
                    + "(names may contain only letters, digits and single hyphens (at most 32 characters))")
        ) { try ShareEntry(parsing: "alice_bob:admin", kind: .user) }
        #expect(
            throws: Refusal.invalidInput(
                "invalid user entry \"alice:owner\": role must be \"use\" or \"admin\", not \"owner\"")
        ) { try ShareEntry(parsing: "alice:owner", kind: .user) }
        for bad in ["alice:Admin", "alice:", ":admin", "alice:use:x", "alice admin", "alice:ADMIN", ""] {
            do {
                _ = try ShareEntry(parsing: bad, kind: .group)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.exitCode == 2)
                #expect(error.message.hasPrefix("invalid group entry \(quoted(bad))"), "\(error.message)")
            }
        }
    }

    @Test func listsAreCommaSeparatedAndRepeatable() throws {
        let entries = try ShareEntry.parseList(["alice:admin,bob", "carol:use"], kind: .user)
        #expect(
            entries == [
                ShareEntry(name: "alice", role: .admin), ShareEntry(name: "bob", role: .use),
                ShareEntry(name: "carol", role: .use),
            ])
        #expect(try ShareEntry.parseList([], kind: .user).isEmpty)
        #expect(throws: Refusal.invalidInput("invalid user entry \"\": a name is required")) {
            try ShareEntry.parseList([""], kind: .user)
        }
        #expect(throws: Refusal.invalidInput("invalid group entry \"\": a name is required")) {
            try ShareEntry.parseNames(["sre", ""], kind: .group)
        }
        #expect(try ShareEntry.parseNames([""], kind: .group, emptyValueMeansNone: true).isEmpty)
        #expect(throws: Refusal.invalidInput("empty user entry in \"alice,,bob\"")) {
            try ShareEntry.parseList(["alice,,bob"], kind: .user)
        }
        #expect(throws: Refusal.invalidInput("empty group entry in \"sre,\"")) {
            try ShareEntry.parseList(["sre,"], kind: .group)
        }
        #expect(throws: Refusal.invalidInput("user \"ALICE\" is listed more than once")) {
            try ShareEntry.parseList(["alice:admin", "ALICE:use"], kind: .user)
        }
        #expect(throws: Refusal.invalidInput("group \"sre\" is listed more than once")) {
            try ShareEntry.parseNames(["sre,ops,sre"], kind: .group)
        }
        #expect(try ShareEntry.parseNames(["a,b", "c"], kind: .user).map(\.value) == ["a", "b", "c"])
        #expect(throws: Refusal.self) { try ShareEntry.parseNames(["alice:use"], kind: .user) }
    }

    @Test func lifetimes() throws {
        #expect(try TokenLifetime(parsing: "8760h").seconds == 8760 * 3600)
        #expect(try TokenLifetime(parsing: "1h30m").seconds == 5400)
        #expect(try TokenLifetime(parsing: "7d").seconds == 7 * 86_400)
        #expect(try TokenLifetime(parsing: "90s").seconds == 90)
        #expect(try TokenLifetime(parsing: "1d2h3m4s").seconds == 93_784)
        #expect(TokenLifetime.maximum.description == "876000h")
        #expect(TokenLifetime(seconds: 5430).description == "1h30m30s")
        for bad in [
            "", "h", "8760", "8760x", "1.5h", "h1", "99999999999999999999h", "-", "1h-2m", "１h",
            "0h", "0d0s", "-1h", "1m1m", "30m1h", "1hh",
        ] {
            #expect(throws: Refusal.self, "\(bad)") { try TokenLifetime(parsing: bad) }
        }
    }
}
