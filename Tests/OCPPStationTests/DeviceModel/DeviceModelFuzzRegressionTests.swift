// Inputs the device-model fuzz target (Tests/Fuzz, `make fuzz`) would break a rule with, kept as tests.
import Testing

@testable import OCPPStation

struct DeviceModelFuzzRegressionTests {
    /// A device-model error is one line whatever the file's keys hold (the same finding as the board file's: an
    /// unknown key with a line break in it).
    @Test func deviceModelErrorsAreOneLine() {
        do {
            _ = try DeviceModel.parse(#"[{"name": "X", "a\nb": 1, "variables": []}]"#, file: "dm.json")
            Issue.record("accepted an unknown key")
        } catch {
            #expect(error.description == #"device model dm.json: [0].a\nb: unknown field"#)
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
        }
    }

    @Test func escapingLeavesOtherTextAlone() {
        #expect("évse 1 ⚡".escapingControlCharacters == "évse 1 ⚡")
        #expect("a\u{7F}\u{85}\tb".escapingControlCharacters == #"a\u007f\u0085\tb"#)
    }
}
