// station-bench check-payloads: the verdict of OCPPMessages on many payloads per process, for the differential test
// against the `jsonschema` package (Tests/integration/test_schema_differential.py).
//
// stdin, one payload per line:  <MessageName> TAB <payload JSON>     e.g. `TransactionEventRequest\t{...}`
// stdout, one verdict per line:
//   ok                                  framed (CALL for a request, CALLRESULT for a response), validated, decoded,
//                                       re-encoded, and the re-encoded payload decodes to an equal value; on both
//                                       the tree path and the byte path, which agree
//   reject TAB <code> TAB <path>        OCPPValidationError: the CALLERROR code the station would answer with
//   frame TAB <code>                    the frame itself was refused (RPCFrameError)
//   roundtrip TAB <detail>              valid, but encoding it back does not give the same value, or the byte path
//                                       and the tree path disagree (a bug)
//   unknown                             no such message name

import OCPPMessages

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Message name ("BootNotificationRequest") -> the action and whether it is the request.
let payloadTypes: [String: (action: OCPPAction, isRequest: Bool)] = {
    var types: [String: (OCPPAction, Bool)] = [:]
    for action in OCPPAction.allCases {
        types[action.rawValue + "Request"] = (action, true)
        types[action.rawValue + "Response"] = (action, false)
    }
    return types
}()

func verdict(_ name: Substring, _ payloadText: Substring) -> String {
    guard let (action, isRequest) = payloadTypes[String(name)] else { return "unknown" }
    let frameText = isRequest ? "[2,\"d-1\",\"\(action.rawValue)\",\(payloadText)]" : "[3,\"d-1\",\(payloadText)]"
    // Both paths, the tree path (JSONValue) and the byte path (RPCFrame): they must agree, or it is a bug.
    let bytes = Array(frameText.utf8)
    do {
        switch try isRequest ? action.requestType.selfCheck(frame: bytes) : action.responseType.selfCheck(frame: bytes) {
        case .accepted: return "ok"
        case .refused(let error): return "reject\t\(error.code.rawValue)\t\(error.path)"
        case .refusedFrame(let error): return "frame\t\(error.code.rawValue)"
        }
    } catch {
        return "roundtrip\t\(error.description.prefix(300))"
    }
}

func checkPayloadsFromStdin() {
    var out: [UInt8] = []
    while let line = readLine(strippingNewline: true) {
        guard let tab = line.firstIndex(of: "\t") else {
            out.append(contentsOf: "unknown\n".utf8)
            continue
        }
        out.append(contentsOf: verdict(line[..<tab], line[line.index(after: tab)...]).utf8)
        out.append(0x0A)
        if out.count > 1 << 16 { flush(&out) }
    }
    flush(&out)
}

func flush(_ out: inout [UInt8]) {
    var written = 0
    while written < out.count {
        let n = out.withUnsafeBytes { write(1, $0.baseAddress! + written, $0.count - written) }
        if n <= 0 { break }
        written += n
    }
    out.removeAll(keepingCapacity: true)
}
