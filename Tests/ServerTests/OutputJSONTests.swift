import AccessModel
import LedgerService
import Testing

/// The JSON every CLI `-o json` output and every HTTP answer is written with.
@Suite struct OutputJSONTests {
    static let sample = OutputJSON.object([
        ("b", .int(-1)),
        ("a", .array([.string("x\n\"y\"\u{1}"), .null, .bool(true), .bool(false)])),
        ("e", .array([])),
        ("o", .object([])),
        ("payload", .raw(.object(["z": .int(1), "k": .string("é\t")]))),
    ])

    @Test func keysKeepTheirOrderStringsAreEscapedAndPayloadsSorted() {
        #expect(
            OutputJSONTests.sample.renderedCompact()
                == #"{"b":-1,"a":["x\n\"y\"\u0001",null,true,false],"e":[],"o":{},"payload":{"k":"é\t","z":1}}"#)
        #expect(
            OutputJSONTests.sample.rendered() == """
                {
                  "b": -1,
                  "a": [
                    "x\\n\\"y\\"\\u0001",
                    null,
                    true,
                    false
                  ],
                  "e": [],
                  "o": {},
                  "payload": {"k":"é\\t","z":1}
                }

                """)
    }

    @Test func bothFormsParseBackToTheSameValue() throws {
        let expected = JSONValue.object([
            "b": .int(-1), "a": .array([.string("x\n\"y\"\u{1}"), .null, .bool(true), .bool(false)]),
            "e": .array([]), "o": .object([:]), "payload": .object(["z": .int(1), "k": .string("é\t")]),
        ])
        #expect(try JSONValue.parse(OutputJSONTests.sample.renderedCompact()) == expected)
        #expect(try JSONValue.parse(OutputJSONTests.sample.rendered()) == expected)
    }
}
