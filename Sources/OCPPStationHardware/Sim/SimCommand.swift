// The sim control socket's requests: one JSON object per line, `{"cmd":"plug","evse":1}`.
import OCPPMessages
import OCPPStation

/// A request that cannot be carried out; its message goes into `{"ok":false,"error":"..."}`.
struct SimCommandError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}

enum SimCommand: Equatable {
    case plug(evse: Int, connector: Int?)
    case unplug(evse: Int, connector: Int?)
    case evCharge(evse: Int, watts: Double?)
    case evSuspend(evse: Int)
    case tap(idToken: String, type: IdTokenEnumType, evse: Int?)
    case power(evse: Int, watts: Double)
    case fault(evse: Int, kind: HardwareFault)
    case clearFault(evse: Int)
    case status

    static let names = ["plug", "unplug", "ev-charge", "ev-suspend", "tap", "power", "fault", "clear-fault", "status"]

    static let defaultIdTokenType = IdTokenEnumType.iso14443

    static func parse(line: [UInt8]) throws(SimCommandError) -> SimCommand {
        let json: JSONValue
        do {
            json = try HWJSONParser.parse(line)
        } catch {
            throw SimCommandError(error.description)
        }
        do {
            return try decode(json)
        } catch {
            throw SimCommandError(error.field.isEmpty ? error.reason : "\(error.field): \(error.reason)")
        }
    }

    private static func decode(_ json: JSONValue) throws(HWJSONFieldError) -> SimCommand {
        let request = try HWJSONFields(json, path: "")
        let cmd = try request.string("cmd")
        func allow(_ keys: String...) throws(HWJSONFieldError) {
            try request.rejectUnknownKeys(allowed: ["cmd"] + keys)
        }
        func positive(_ key: String, _ value: Int?) throws(HWJSONFieldError) -> Int? {
            if let value, value < 1 { throw HWJSONFieldError(field: key, reason: "must be 1 or more, got \(value)") }
            return value
        }
        func evse() throws(HWJSONFieldError) -> Int {
            guard let value = try positive("evse", try request.optionalInt("evse")) else {
                throw HWJSONFieldError(field: "evse", reason: "required for \(cmd)")
            }
            return value
        }
        func watts(required: Bool) throws(HWJSONFieldError) -> Double? {
            guard let value = try request.optionalNumber("watts") else {
                if required { throw HWJSONFieldError(field: "watts", reason: "required for \(cmd)") }
                return nil
            }
            if !(value >= 0) { throw HWJSONFieldError(field: "watts", reason: "must be 0 or more, got \(jsonNumber(value))") }
            return value
        }
        switch cmd {
        case "plug":
            try allow("evse", "connector")
            return .plug(evse: try evse(), connector: try positive("connector", try request.optionalInt("connector")))
        case "unplug":
            try allow("evse", "connector")
            return .unplug(evse: try evse(), connector: try positive("connector", try request.optionalInt("connector")))
        case "ev-charge":
            try allow("evse", "watts")
            return .evCharge(evse: try evse(), watts: try watts(required: false))
        case "ev-suspend":
            try allow("evse")
            return .evSuspend(evse: try evse())
        case "tap":
            try allow("idToken", "type", "evse")
            let idToken = try request.string("idToken")
            if idToken.isEmpty || idToken.count > 36 {
                throw HWJSONFieldError(field: "idToken", reason: "must be 1 to 36 characters, got \(idToken.count)")
            }
            let name = try request.optionalString("type") ?? defaultIdTokenType.rawValue
            guard let type = IdTokenEnumType(rawValue: name) else {
                throw HWJSONFieldError(
                    field: "type",
                    reason: "\(jsonQuoted(name)) is not an IdTokenEnumType value (\(IdTokenEnumType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return .tap(idToken: idToken, type: type, evse: try positive("evse", try request.optionalInt("evse")))
        case "power":
            try allow("evse", "watts")
            let evse = try evse()
            return .power(evse: evse, watts: try watts(required: true) ?? 0)
        case "fault":
            try allow("evse", "kind")
            let evse = try evse()
            let kind = try request.string("kind")
            guard let fault = HardwareFault(rawValue: kind) else {
                throw HWJSONFieldError(
                    field: "kind",
                    reason: "\(jsonQuoted(kind)) is not a fault kind (\(HardwareFault.known.map(\.rawValue).joined(separator: ", ")))")
            }
            return .fault(evse: evse, kind: fault)
        case "clear-fault":
            try allow("evse")
            return .clearFault(evse: try evse())
        case "status":
            try allow()
            return .status
        default:
            throw HWJSONFieldError(field: "", reason: "unknown cmd \(jsonQuoted(cmd)) (known: \(names.joined(separator: ", ")))")
        }
    }
}
