import Testing

@testable import AccessModel

/// Webhooks in the domain: who may add and remove them, what a URL and a type list must be,
/// and the events round-tripping through their JSON form.
@Suite("Rules: webhooks")
struct WebhookRulesTests {
    static let secret = "whsec_" + String(repeating: "a", count: 64)

    @Test func ownersAndUserAdminsAddAndRemoveWebhooks() throws {
        let t = try TestLedger.world()
        t.expectAllowed(
            .addWebhook(
                name: "siem", url: "https://siem.example/hook?x=1", types: ["workspace_shared,workspace_unshared"],
                secret: WebhookRulesTests.secret), as: "ua")
        #expect(
            t.ledger.webhook(key: "siem")
                == WebhookRecord(
                    name: "siem", url: "https://siem.example/hook?x=1",
                    types: ["workspace_shared", "workspace_unshared"]))
        t.expectRefused(
            .addWebhook(name: "SIEM", url: "http://other", types: [], secret: WebhookRulesTests.secret), as: "root",
            code: 3, "already exists")
        t.expectRefused(
            .addWebhook(name: "x", url: "http://h", types: [], secret: WebhookRulesTests.secret), as: "alice", code: 3,
            "only a site owner or user-admin")
        t.expectRefused(.removeWebhook(name: "siem"), as: "aud", code: 3, "only a site owner or user-admin")
        t.expectRefused(.removeWebhook(name: "nope"), as: "root", code: 2, "unknown webhook \"nope\"")
        t.expectAllowed(.removeWebhook(name: "Siem"), as: "root")
        #expect(t.ledger.webhooks().isEmpty)
        // The name is free again.
        t.expectAllowed(
            .addWebhook(name: "siem", url: "http://127.0.0.1:9/", types: [], secret: WebhookRulesTests.secret),
            as: "root")
    }

    @Test(arguments: [
        ("ftp://host/x", "ftp://host/x"), ("notaurl", "notaurl"), ("http://", "http://"),
        ("https:///path", "https:///path"), ("http://a b", "http://a b"), ("", "\"\""),
        ("https://ops:hunter2@siem.example/hook", "\"https://…@siem.example/hook\": it carries credentials"),
    ])
    func malformedURLsAreExit2NamingThem(_ url: String, _ shown: String) throws {
        let t = try TestLedger.world()
        t.expectRefused(
            .addWebhook(name: "w", url: url, types: [], secret: WebhookRulesTests.secret), as: "root", code: 2, shown)
    }

    @Test func aURLWithCredentialsIsRefusedWithoutRepeatingThem() throws {
        let t = try TestLedger.world()
        let refusal = t.refusal(
            .addWebhook(
                name: "w", url: "https://ops:hunter2@siem.example/hook", types: [], secret: WebhookRulesTests.secret),
            as: "root")
        #expect(refusal?.exitCode == 2)
        #expect(refusal?.message.contains("hunter2") == false)
        #expect(refusal?.message.contains("ops") == false)
    }

    @Test func unknownOrRepeatedTypesAndBadNamesAreExit2() throws {
        let t = try TestLedger.world()
        t.expectRefused(
            .addWebhook(name: "w", url: "http://h", types: ["nosuch"], secret: WebhookRulesTests.secret), as: "root",
            code: 2, "unknown event type \"nosuch\"")
        t.expectRefused(
            .addWebhook(
                name: "w", url: "http://h", types: ["user_created", "user_created"], secret: WebhookRulesTests.secret),
            as: "root", code: 2, "more than once")
        t.expectRefused(
            .addWebhook(name: "w_1", url: "http://h", types: [], secret: WebhookRulesTests.secret), as: "root", code: 2,
            "\"w_1\"")
        // Syntax comes before the actor: even an unknown actor gets the URL's error.
        t.expectRefused(
            .addWebhook(name: "w", url: "gopher://h", types: [], secret: WebhookRulesTests.secret), as: "zed", code: 2,
            "gopher://h")
    }

    @Test func webhookEventsRoundTripAndKeepNoSecret() throws {
        let events: [LedgerEvent] = [
            .webhookAdded(WebhookRecord(name: "Siem", url: "https://h/x", types: ["workspace_shared"])),
            .webhookRemoved(name: "Siem"),
        ]
        for event in events {
            let new = event.newEvent
            #expect(new.stream == "webhook:siem")
            #expect(!new.data.canonicalString.contains("whsec_"))
            #expect(try LedgerEvent(type: new.type, data: JSONValue.parse(new.data.canonicalString)) == event)
        }
        #expect(
            events[0].newEvent.data.canonicalString
                == #"{"name":"Siem","types":["workspace_shared"],"url":"https://h/x"}"#)
    }
}
