// Inputs the fuzz targets (Tests/Fuzz, `make fuzz`) found that broke a rule, kept so that the rule stays kept.
import OCPPStation
import Testing
@testable import OCPPStationHardware

@Suite("Fuzz regressions: board files and sim requests")
struct FuzzRegressionTests {
    /// A board file's error is one line: an unknown key holding a line break (the input that failed the board
    /// target's one-line check) or any other control character is written as an escape.
    @Test(arguments: [
        (#"{"na\nme": 1}"#, #"board file boards/fuzz.json: na\nme: unknown key"#),
        (#"{"a\r\u0000\u2028b": 1}"#, #"board file boards/fuzz.json: a\r\u0000\u2028b: unknown key"#),
    ])
    func boardFileErrorsAreOneLine(input: String, expectedStart: String) {
        #expect(throws: BoardFileError.self) { try BoardConfiguration.parse(bytes: Array(input.utf8), path: "boards/fuzz.json") }
        do {
            _ = try BoardConfiguration.parse(bytes: Array(input.utf8), path: "boards/fuzz.json")
        } catch {
            #expect(error.description.hasPrefix(expectedStart), "\(error.description)")
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
        }
    }
}
