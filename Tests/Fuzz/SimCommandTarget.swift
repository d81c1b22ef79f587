// libFuzzer target: what a client writes to the sim board's control socket (DATA_DIR/sim.sock), through the request
// parser `SimCommand.parse(line:)` and, for a refused line, the error reply the socket sends back.
//
// Built by Scripts/fuzz.sh against the package's own modules (a SwiftPM build with -sanitize=fuzzer,address). The
// input is cut into lines as `SimLineDecoder` cuts the socket's byte stream (at `\n`, a trailing `\r` dropped, blank
// lines skipped). Each line must give a command whose numbers keep the parser's rules, or an error whose reply is one
// line of JSON that reads back as `{"ok":false,"error":<the message>}`. Anything else traps.
import OCPPMessages
import OCPPStation
@testable import OCPPStationHardware

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSimCommand(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init) {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
        check(line)
    }
    return 0
}

private func check(_ line: [UInt8]) {
    let command: SimCommand
    do {
        command = try SimCommand.parse(line: line)
    } catch {
        precondition(!error.message.isEmpty, "no reason given")
        let reply = SimulatedBoard.errorReply(error.message)
        precondition(!reply.contains("\n"), "a reply of more than one line: \(reply)")
        guard let object = (try? HWJSONParser.parse(reply))?.objectValue, object["ok"]?.boolValue == false,
            object["error"]?.stringValue == error.message, object.count == 2
        else { preconditionFailure("the error reply does not read back: \(reply)") }
        return
    }
    switch command {
    case .plug(let evse, let connector), .unplug(let evse, let connector):
        precondition(evse >= 1 && (connector ?? 1) >= 1)
    case .evCharge(let evse, let watts):
        precondition(evse >= 1 && (watts ?? 0) >= 0)
    case .power(let evse, let watts):
        precondition(evse >= 1 && watts >= 0 && watts.isFinite)
    case .tap(let idToken, _, let evse):
        precondition((1...36).contains(idToken.count) && (evse ?? 1) >= 1)
    case .evSuspend(let evse), .fault(let evse, _), .clearFault(let evse):
        precondition(evse >= 1)
    case .status:
        break
    }
}
