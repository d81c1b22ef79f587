import OCPPMessages
import Testing

@Suite struct ValidationTests {
    func validationError(_ text: String, _ schema: SchemaNode = BootNotificationRequest.schema) throws -> OCPPValidationError? {
        let v = try JSONValue.parse(text)
        do {
            try SchemaValidator.validate(v, against: schema)
            return nil
        } catch {
            return error
        }
    }

    // Members in schema order, so re-encoding reproduces the text exactly.
    let boot = #"{"chargingStation":{"model":"SingleSocketCharger","vendorName":"VendorX"},"reason":"PowerUp"}"#

    @Test func validBootNotification() throws {
        #expect(try validationError(boot) == nil)
        let req = try BootNotificationRequest(validating: try JSONValue.parse(boot))
        #expect(req.reason == .powerUp)
        #expect(req.chargingStation.model == "SingleSocketCharger")
        #expect(BootNotificationRequest.action == .bootNotification)
        #expect(req.toJSON().serialized() == boot)
        #expect(req.call(messageId: "1").serialized() == #"[2,"1","BootNotification",\#(boot)]"#)
    }

    @Test func formatViolation() throws {
        let e1 = try #require(try validationError("[]"))
        #expect(e1.code == .formatViolation)
        let e2 = try #require(try validationError(#"{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V","colour":"red"}}"#))
        #expect(e2.code == .formatViolation)
        #expect(e2.path == "chargingStation.colour")
        // CustomDataType has no additionalProperties:false: unknown keys are fine there.
        #expect(try validationError(#"{"customData":{"vendorId":"x","anything":[1]},"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}"#) == nil)
    }

    @Test func occurrenceConstraintViolation() throws {
        let e = try #require(try validationError(#"{"reason":"PowerUp","chargingStation":{"vendorName":"V"}}"#))
        #expect(e.code == .occurrenceConstraintViolation)
        #expect(e.path == "chargingStation.model")
        let e2 = try #require(try validationError(#"{"evseId":1,"meterValue":[]}"#, MeterValuesRequest.schema))
        #expect(e2.code == .occurrenceConstraintViolation)
        #expect(e2.path == "meterValue")
        let e3 = try #require(try validationError(#"{"customData":{}, "reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}"#))
        #expect(e3.code == .occurrenceConstraintViolation)
        #expect(e3.path == "customData.vendorId")
    }

    @Test func typeConstraintViolation() throws {
        for (text, path) in [
            (#"{"reason":"PowerUp","chargingStation":{"model":12,"vendorName":"V"}}"#, "chargingStation.model"),
            (#"{"reason":"PowerUp","chargingStation":"M"}"#, "chargingStation"),
            (#"{"reason":null,"chargingStation":{"model":"M","vendorName":"V"}}"#, "reason"),
            (#"{"reason":"PowerUp","chargingStation":{"model":{},"vendorName":"V"}}"#, "chargingStation.model"),
        ] {
            let e = try #require(try validationError(text), "\(text)")
            #expect(e.code == .typeConstraintViolation, "\(text)")
            #expect(e.path == path)
        }
        let e = try #require(try validationError(#"{"evseId":1.5,"meterValue":[]}"#, MeterValuesRequest.schema))
        #expect(e.code == .typeConstraintViolation)
        #expect(e.path == "evseId")
        // draft-06: 2.0 is an integer.
        #expect(try validationError(#"{"currentTime":"2013-02-01T20:53:32.486Z","interval":300.0,"status":"Accepted"}"#, BootNotificationResponse.schema) == nil)
        let e2 = try #require(try validationError(#"{"currentTime":"2013-02-01T20:53:32.486Z","interval":"300","status":"Accepted"}"#, BootNotificationResponse.schema))
        #expect(e2.code == .typeConstraintViolation)
        #expect(e2.path == "interval")
    }

    @Test func propertyConstraintViolation() throws {
        let e1 = try #require(try validationError(#"{"reason":"Bored","chargingStation":{"model":"M","vendorName":"V"}}"#))
        #expect(e1.code == .propertyConstraintViolation)
        #expect(e1.path == "reason")
        let e2 = try #require(try validationError(#"{"reason":"PowerUp","chargingStation":{"model":"123456789012345678901","vendorName":"V"}}"#))
        #expect(e2.code == .propertyConstraintViolation)
        #expect(e2.path == "chargingStation.model")
        // maxLength counts code points: 20 × "é" is fine.
        #expect(try validationError(#"{"reason":"PowerUp","chargingStation":{"model":"éééééééééééééééééééé","vendorName":"V"}}"#) == nil)
        let e3 = try #require(try validationError(#"{"currentTime":"yesterday","interval":300,"status":"Accepted"}"#, BootNotificationResponse.schema))
        #expect(e3.code == .propertyConstraintViolation)
        #expect(e3.path == "currentTime")
    }

    @Test func decodingUnvalidatedInputThrowsInsteadOfCrashing() throws {
        #expect(throws: OCPPValidationError.self) { try BootNotificationRequest(json: .array([])) }
        let wrongType = try JSONValue.parse(#"{"reason":"PowerUp","chargingStation":{"model":1,"vendorName":"V"}}"#)
        do {
            _ = try BootNotificationRequest(json: wrongType)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .typeConstraintViolation)
            #expect(error.path == "chargingStation.model")
        }
        let badEnum = try JSONValue.parse(#"{"reason":"Nope","chargingStation":{"model":"M","vendorName":"V"}}"#)
        do {
            _ = try BootNotificationRequest(json: badEnum)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .propertyConstraintViolation)
        }
    }

    @Test func validationErrorMakesCallError() throws {
        let e = OCPPValidationError(code: .occurrenceConstraintViolation, path: "a.b", reason: "required property is missing")
        let frame = e.callError(messageId: "m1")
        #expect(frame.errorCode == .occurrenceConstraintViolation)
        #expect(try RPCMessage.parse(frame.serialized()) == frame)
    }

    @Test func actionsAndSchemas() {
        #expect(OCPPAction.allCases.count == 64)
        #expect(OCPPAction(rawValue: "BootNotification") == .bootNotification)
        for action in OCPPAction.allCases {
            #expect(action.requestType.action == action)
            guard case .object(let req) = action.requestSchema, case .object(let res) = action.responseSchema else {
                Issue.record("\(action) schema is not an object")
                continue
            }
            #expect(req.name == action.rawValue + "Request")
            #expect(res.name == action.rawValue + "Response")
        }
    }

    @Test func recursiveReferenceDoesNotLoop() throws {
        // A hand-built self-referencing schema: node -> { child: node }.
        final class Box: @unchecked Sendable { var node: SchemaNode = .any }
        let box = Box()
        let node = SchemaNode.object(ObjectSchema(name: "Node", properties: [
            .init("child", .reference(SchemaReference(name: "Node") { box.node })),
            .init("n", .integer),
        ]))
        box.node = node
        let deep = try JSONValue.parse(String(repeating: #"{"child":"#, count: 60) + #"{"n":"x"}"# + String(repeating: "}", count: 60))
        #expect(throws: OCPPValidationError.self) { try SchemaValidator.validate(deep, against: node) }
        let ok = try JSONValue.parse(String(repeating: #"{"child":"#, count: 60) + #"{"n":1}"# + String(repeating: "}", count: 60))
        try SchemaValidator.validate(ok, against: node)
    }
}
