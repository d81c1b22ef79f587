// libFuzzer target: one OCPP-J frame from the network through parse, validate and decode, for every action.
//
// Built by Scripts/fuzz.sh in one module with Sources/OCPPMessages (swiftc -sanitize=fuzzer,address), so it needs no
// import. A CALL is checked against its action's request type; a CALLRESULT against the response type of the action
// its messageId names (the seeds use action names as ids) or, for any other id, of the action the id's length picks,
// so every response type is reached; a CALLERROR's code is looked up in Table 8. Any inconsistency (see
// `OCPPPayload.selfCheck`) or a refusal with a code outside Part 4 §4.3 traps, which libFuzzer reports as a crash.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let frame: RPCMessage
    do {
        frame = try RPCMessage.parse(utf8: bytes)
    } catch {
        let frameCodes: Set<RPCErrorCode> = [.rpcFrameworkError, .messageTypeNotSupported, .protocolError, .formatViolation]
        precondition(frameCodes.contains(error.code), "frame refused with \(error.code)")
        precondition(error.callError().serialized().utf8.count > 0)
        return 0
    }
    do {
        switch frame {
        case .call(let messageId, let action, let payload):
            guard let action = OCPPAction(rawValue: action) else { return 0 }
            if case .refused(let error) = try action.requestType.selfCheck(payload) {
                // The CALLERROR the station would send must itself be a valid frame.
                let answer = error.callError(messageId: messageId).serialized()
                precondition((try? RPCMessage.parse(answer))?.errorCode == error.code, "unparseable CALLERROR \(answer)")
            }
        case .callResult(let messageId, let payload):
            let action = OCPPAction(rawValue: messageId) ?? OCPPAction.allCases[messageId.utf8.count % OCPPAction.allCases.count]
            _ = try action.responseType.selfCheck(payload)
        case .callError(_, let code, _, _):
            _ = RPCErrorCode(rawValue: code)
        }
    } catch {
        preconditionFailure(error.description)
    }
    return 0
}
