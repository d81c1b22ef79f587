// libFuzzer target: a device-model file (device-model.json) through what the agent does with it at start-up:
// OCPPStation's `DeviceModel.parse`, the board's EVSE and Connector components added (the repository's sim board:
// two EVSEs, one connector each), then `checkRequiredVariables`.
//
// Built by Scripts/fuzz.sh against the package's own modules (a SwiftPM build with -sanitize=fuzzer,address). Like the
// agent, it reads the file as UTF-8 text and refuses any other bytes before parsing. Every input must give a model
// whose every attribute value keeps its characteristics, or a `DeviceModelError` that names the file and says why in
// one line.
// Anything else traps, which libFuzzer reports as a crash.
import OCPPStation

private let file = "device-model.json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeviceModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    var model: DeviceModel
    do {
        model = try DeviceModel.parse(text, file: file)
    } catch {
        check(error)
        return 0
    }
    for (_, variable) in model.allVariables {
        for attribute in variable.attributes {
            precondition(
                DeviceModel.check(value: attribute.value, against: variable.characteristics, allowUnset: true) == nil,
                "accepted \(variable.name) = \(attribute.value) against its own characteristics")
        }
    }
    let connector = [ConnectorDescription(id: 1, type: "cType2")]
    model.addBoardComponents([
        DeviceModel.BoardEVSE(id: 1, maxPowerW: 22080, connectors: connector),
        DeviceModel.BoardEVSE(id: 2, maxPowerW: 22080, connectors: connector),
    ])
    do {
        try model.checkRequiredVariables(file: file)
    } catch {
        check(error)
    }
    return 0
}

private func check(_ error: DeviceModelError) {
    precondition(error.file == file, "error names \(error.file)")
    precondition(!error.reason.isEmpty, "no reason given")
    precondition(!error.description.unicodeScalars.contains { $0.value < 0x20 }, "a multi-line error: \(error.description)")
}
