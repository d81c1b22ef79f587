import OCPPMessages
import Testing

@Suite struct RPCMessageTests {
    func frameError(_ text: String) -> RPCFrameError? {
        do {
            _ = try RPCMessage.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesAndSerializesFrames() throws {
        let call = try RPCMessage.parse(#"[2,"19223201","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}]"#)
        guard case .call(let id, let action, let payload) = call else { Issue.record("not a call"); return }
        #expect(id == "19223201")
        #expect(action == "BootNotification")
        #expect(payload["reason"] == .string("PowerUp"))
        #expect(call.serialized() == #"[2,"19223201","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}]"#)

        let result = try RPCMessage.parse(#"[3,"19223201",{"currentTime":"2013-02-01T20:53:32.486Z","interval":300,"status":"Accepted"}]"#)
        #expect(result.messageId == "19223201")
        #expect(try RPCMessage.parse(result.serialized()) == result)

        let error = try RPCMessage.parse(#"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]"#)
        #expect(error.errorCode == .notSupported)
        #expect(error.serialized() == #"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]"#)
        // An unknown code from the peer still parses.
        let odd = try RPCMessage.parse(#"[4,"1","SomethingNew","",{"x":1}]"#)
        #expect(odd.errorCode == nil)
        #expect(odd == .callError(messageId: "1", code: "SomethingNew", description: "", details: ["x": 1]))
        // A 36-character id is fine.
        _ = try RPCMessage.parse(#"[2,"123456789012345678901234567890123456","Heartbeat",{}]"#)
    }

    @Test func rpcFrameworkErrorWithUnreadableId() throws {
        for text in ["not json", "{}", "[]", "\"x\"", "[\"2\"]", "[2]", "[2,5,\"Heartbeat\",{}]", "[2,null,\"Heartbeat\",{}]",
            #"[2,"1234567890123456789012345678901234567","Heartbeat",{}]"#, "[2,\"a\"", ""]
        {
            let e = try #require(frameError(text), "\(text)")
            #expect(e.code == .rpcFrameworkError, "\(text)")
            #expect(e.messageId == "-1", "\(text)")
        }
        // First element not an integer, but the id is readable: the id is echoed.
        let e = try #require(frameError(#"["2","abc","Heartbeat",{}]"#))
        #expect(e.code == .rpcFrameworkError)
        #expect(e.messageId == "abc")
        let e2 = try #require(frameError(#"[2.0,"abc","Heartbeat",{}]"#))
        #expect(e2.code == .rpcFrameworkError)
        // The CALLERROR frame built from it is valid and parses back.
        let frame = try #require(frameError("garbage")).callError()
        let reparsed = try RPCMessage.parse(frame.serialized())
        #expect(reparsed.errorCode == .rpcFrameworkError)
        #expect(reparsed.messageId == "-1")
    }

    @Test func messageTypeNotSupported() throws {
        let e = try #require(frameError(#"[5,"abc","Heartbeat",{}]"#))
        #expect(e.code == .messageTypeNotSupported)
        #expect(e.messageId == "abc")
        let e2 = try #require(frameError("[7]"))
        #expect(e2.code == .messageTypeNotSupported)
        #expect(e2.messageId == "-1")
        let e3 = try #require(frameError(#"[-1,"x"]"#))
        #expect(e3.code == .messageTypeNotSupported)
    }

    @Test func protocolError() throws {
        for text in [#"[2,"id","Heartbeat"]"#, #"[2,"id","Heartbeat",{},{}]"#, #"[2,"id",7,{}]"#, #"[2,"id",null,{}]"#,
            #"[3,"id"]"#, #"[3,"id",{},{}]"#, #"[4,"id","GenericError",""]"#, #"[4,"id",1,"",{}]"#, #"[4,"id","GenericError",null,{}]"#,
            #"[4,"id","GenericError","",{},1]"#]
        {
            let e = try #require(frameError(text), "\(text)")
            #expect(e.code == .protocolError, "\(text)")
            #expect(e.messageId == "id", "\(text)")
        }
    }

    @Test func formatViolationForNonObjectPayload() throws {
        for text in [#"[2,"id","Heartbeat",null]"#, #"[2,"id","Heartbeat",[]]"#, #"[2,"id","Heartbeat","{}"]"#, #"[3,"id",1]"#] {
            let e = try #require(frameError(text), "\(text)")
            #expect(e.code == .formatViolation, "\(text)")
            #expect(e.messageId == "id")
        }
    }

    @Test func descriptionIsTruncatedTo255() throws {
        let e = RPCFrameError(messageId: "m", code: .genericError, description: String(repeating: "é", count: 300))
        guard case .callError(_, _, let description, let details) = e.callError() else { Issue.record("not a CALLERROR"); return }
        #expect(description.count == 255)
        #expect(details == .object(JSONObject()))
    }

    /// Codes produced by the station layer rather than by parsing: they exist and make valid CALLERROR frames.
    @Test(arguments: RPCErrorCode.allCases)
    func everyCodeSerializesAsCallError(_ code: RPCErrorCode) throws {
        let frame = RPCFrameError(messageId: "42", code: code, description: "because").callError()
        let text = frame.serialized()
        #expect(text == #"[4,"42","\#(code.rawValue)","because",{}]"#)
        let back = try RPCMessage.parse(text)
        #expect(back.errorCode == code)
        #expect(back == frame)
    }

    @Test func exactlyTwelveCodes() {
        #expect(RPCErrorCode.allCases.count == 12)
        #expect(Set(RPCErrorCode.allCases.map(\.rawValue)) == [
            "FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented", "NotSupported",
            "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError", "SecurityError",
            "TypeConstraintViolation",
        ])
        #expect(RPCErrorCode.notImplemented.rawValue == "NotImplemented")
        #expect(RPCErrorCode.securityError.rawValue == "SecurityError")
        #expect(RPCErrorCode.internalError.rawValue == "InternalError")
    }
}
