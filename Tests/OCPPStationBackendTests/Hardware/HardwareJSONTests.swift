// OCPPMessages' JSON as the hardware side uses it, behind board files, the sim state file and the control socket.
import OCPPMessages
import Testing
@testable import OCPPStationHardware

@Suite("Hardware JSON")
struct HardwareJSONTests {
    @Test func roundTrips() throws {
        let text = #"{"a":[1,-2.5,true,false,null],"b":"x\"\\\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try HWJSONParser.parse(text)
        #expect(value.serialized() == #"{"a":[1,-2.5,true,false,null],"b":"x\"\\\né😀","c":{}}"#)
        #expect(try HWJSONParser.parse(value.serialized()) == value)
    }

    @Test func rejectsBadInputWithoutTrapping() {
        let inputs = [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "\"abc", "\"\\x\"", "\"\\ud800\"", "tru",
            "{\"a\" 1}", "[1 2]", "\"\u{01}\"", "1 2", String(repeating: "[", count: 10_000), "1e999",
        ]
        for input in inputs {
            #expect(throws: HWJSONSyntaxError.self, "\(input.prefix(20))") { try HWJSONParser.parse(input) }
        }
        #expect(throws: HWJSONSyntaxError.self) { try HWJSONParser.parse([0x22, 0xFF, 0x22]) }  // not UTF-8
    }

    @Test func numbers() throws {
        #expect(try HWJSONParser.parse("3") == .int(3))
        #expect(try HWJSONParser.parse("3.0") == .double(3))
        #expect(JSONValue.number(7400).serialized() == "7400" && JSONValue.number(0.5).serialized() == "0.5")
        #expect(jsonNumber(7400) == "7400")
        #expect(jsonNumber(0.5) == "0.5")
        #expect(jsonNumber(-0.0) == "0")
        #expect(jsonNumber(.nan) == "null")
    }
}
