// libFuzzer target: a board file (boards/*.json) through OCPPStationHardware's loader, `BoardConfiguration.parse`,
// the code the agent runs on `--board` (after reading the file).
//
// Built by Scripts/fuzz.sh against the package's own modules (a SwiftPM build with -sanitize=fuzzer,address). Every
// input must give either a board that keeps the rules the loader checks, or a `BoardFileError` that names the file
// and says why in one line (a person reads it in the agent's start-up failure). Anything else traps, which libFuzzer
// reports as a crash.
import OCPPStation
import OCPPStationHardware

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBoardFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let path = "boards/fuzz.json"
    let board: BoardConfiguration
    do {
        board = try BoardConfiguration.parse(bytes: bytes, path: path)
    } catch {
        precondition(error.path == path, "error names \(error.path)")
        precondition(!error.reason.isEmpty, "no reason given")
        precondition(!error.description.unicodeScalars.contains { $0.value < 0x20 }, "a multi-line error: \(error.description)")
        return 0
    }
    precondition(!board.name.isEmpty && !board.evses.isEmpty)
    for (index, evse) in board.evses.enumerated() {
        precondition(evse.id == index + 1 && evse.maxCurrentA > 0 && !evse.connectors.isEmpty)
        for (connectorIndex, connector) in evse.connectors.enumerated() {
            precondition(connector.id == connectorIndex + 1)
            precondition(BoardConfiguration.connectorTypes.contains(connector.type))
        }
        precondition((evse.meter.type == .modbusRTU) == (evse.meter.modbus != nil))
    }
    precondition(board.evseDescriptions.map(\.id) == board.evses.map(\.id))
    if let argv = board.rebootCommand { precondition(!argv.isEmpty && !argv[0].isEmpty) }
    return 0
}
