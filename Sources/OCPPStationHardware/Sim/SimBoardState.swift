// The simulated board's physical state and its file DATA_DIR/sim-board.json (it outlives the agent, like real hardware).
import OCPPMessages
import OCPPStation

/// The simulated board cannot start or an actuator failed: one line naming the file, field and reason where there is one.
public struct SimulatedBoardError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    static func stateFile(_ path: String, field: String?, reason: String) -> SimulatedBoardError {
        let fieldPart = field.map { $0.isEmpty ? "" : "\($0): " } ?? ""
        return SimulatedBoardError(
            "sim board state file \(path): \(fieldPart)\(reason) (fix the file or remove it to start from an idle board)")
    }
}

/// One EVSE of the simulated board.
struct SimEVSEState: Sendable, Equatable {
    static let defaultEVPowerW: Double = 7400

    var evse: Int
    /// Per connector, index = connector id - 1.
    var plugged: [Bool]
    var evCharging = false
    /// What the EV draws while charging (the `power` command sets it).
    var evPowerW: Double = SimEVSEState.defaultEVPowerW
    var faults: Set<HardwareFault> = []
    /// The meter's energy register (Wh), never decreasing.
    var energyWh: Double = 0
    var limitA: Double
    var contactorClosed = false
    var locked = false

    /// What the EV draws now.
    var powerW: Double { evCharging ? evPowerW : 0 }

    init(evse: Int, connectorCount: Int, limitA: Double) {
        self.evse = evse
        self.plugged = Array(repeating: false, count: connectorCount)
        self.limitA = limitA
    }

    var physicalState: EVSEPhysicalState {
        EVSEPhysicalState(
            evse: evse,
            connectors: plugged.enumerated().map { ConnectorPhysicalState(id: $0.offset + 1, plugged: $0.element) },
            evCharging: evCharging, faults: faults, energyWh: energyWh, powerW: powerW, limitA: limitA,
            contactorClosed: contactorClosed, locked: locked)
    }

    static func sortedFaults(_ faults: Set<HardwareFault>) -> [HardwareFault] {
        faults.sorted()
    }
}

/// The state file: `{"version":1,"evses":[{...}]}`.
enum SimBoardStateFile {
    static let fileName = "sim-board.json"
    static let version = 1

    static func initialState(for configuration: BoardConfiguration) -> [SimEVSEState] {
        configuration.evses.map { SimEVSEState(evse: $0.id, connectorCount: $0.connectors.count, limitA: $0.maxCurrentA) }
    }

    static func encode(_ evses: [SimEVSEState]) -> [UInt8] {
        let json = JSONValue.object(
            [
                "version": .integer(version),
                "evses": .array(
                    evses.map { evse in
                        .object(
                            [
                                "evse": .integer(evse.evse),
                                "connectors": .array(
                                    evse.plugged.enumerated().map {
                                        .object(["connector": .integer($0.offset + 1), "plugged": .bool($0.element)])
                                    }),
                                "evCharging": .bool(evse.evCharging),
                                "evPowerW": .number(evse.evPowerW),
                                "faults": .array(SimEVSEState.sortedFaults(evse.faults).map { .string($0.rawValue) }),
                                "energyWh": .number(evse.energyWh),
                                "limitA": .number(evse.limitA),
                                "contactorClosed": .bool(evse.contactorClosed),
                                "locked": .bool(evse.locked),
                            ])
                    }),
            ])
        return Array((json.serialized() + "\n").utf8)
    }

    /// Reads the state file; nil when there is none. Throws (and leaves the file alone) when it cannot be used.
    static func load(path: String, configuration: BoardConfiguration) throws(SimulatedBoardError) -> [SimEVSEState]? {
        let bytes: [UInt8]
        do {
            bytes = try POSIXFiles.readFile(path: path)
        } catch .notFound {
            return nil
        } catch {
            throw .stateFile(path, field: nil, reason: error.reason)
        }
        let json: JSONValue
        do {
            json = try HWJSONParser.parse(bytes)
        } catch {
            throw .stateFile(path, field: nil, reason: error.description)
        }
        do {
            return try decode(json, configuration: configuration)
        } catch {
            throw .stateFile(path, field: error.field, reason: error.reason)
        }
    }

    private static func decode(_ json: JSONValue, configuration: BoardConfiguration) throws(HWJSONFieldError) -> [SimEVSEState] {
        let root = try HWJSONFields(json, path: "")
        try root.rejectUnknownKeys(allowed: ["version", "evses"])
        let fileVersion = try root.int("version")
        if fileVersion != version {
            throw HWJSONFieldError(field: "version", reason: "unsupported version \(fileVersion) (this agent writes version \(version))")
        }
        let values = try root.array("evses")
        if values.count != configuration.evses.count {
            throw HWJSONFieldError(
                field: "evses",
                reason: "has \(values.count) EVSE(s) but the board \(jsonQuoted(configuration.name)) has \(configuration.evses.count)")
        }
        var result: [SimEVSEState] = []
        for (index, value) in values.enumerated() {
            let board = configuration.evses[index]
            let fields = try HWJSONFields(value, path: root.elementPath("evses", index))
            try fields.rejectUnknownKeys(allowed: [
                "evse", "connectors", "evCharging", "evPowerW", "faults", "energyWh", "limitA", "contactorClosed", "locked",
            ])
            let id = try fields.int("evse")
            if id != board.id {
                throw HWJSONFieldError(field: fields.fieldPath("evse"), reason: "expected \(board.id), got \(id)")
            }
            let connectorValues = try fields.array("connectors")
            if connectorValues.count != board.connectors.count {
                throw HWJSONFieldError(
                    field: fields.fieldPath("connectors"),
                    reason: "has \(connectorValues.count) connector(s) but the board's EVSE \(board.id) has \(board.connectors.count)")
            }
            var state = SimEVSEState(evse: id, connectorCount: board.connectors.count, limitA: board.maxCurrentA)
            for (connectorIndex, connectorValue) in connectorValues.enumerated() {
                let connector = try HWJSONFields(connectorValue, path: fields.elementPath("connectors", connectorIndex))
                try connector.rejectUnknownKeys(allowed: ["connector", "plugged"])
                let connectorId = try connector.int("connector")
                if connectorId != connectorIndex + 1 {
                    throw HWJSONFieldError(field: connector.fieldPath("connector"), reason: "expected \(connectorIndex + 1), got \(connectorId)")
                }
                state.plugged[connectorIndex] = try connector.bool("plugged")
            }
            state.evCharging = try fields.bool("evCharging")
            if state.evCharging && !state.plugged.contains(true) {
                throw HWJSONFieldError(field: fields.fieldPath("evCharging"), reason: "is true but no connector is plugged")
            }
            state.evPowerW = try nonNegative(fields, "evPowerW")
            for (faultIndex, faultValue) in try fields.array("faults").enumerated() {
                let faultPath = fields.elementPath("faults", faultIndex)
                let name = try HWJSONFields.string(faultValue, path: faultPath)
                guard let fault = HardwareFault(rawValue: name) else {
                    throw HWJSONFieldError(
                        field: faultPath,
                        reason: "\(jsonQuoted(name)) is not a fault (faults: \(HardwareFault.known.map(\.rawValue).joined(separator: ", ")))")
                }
                state.faults.insert(fault)
            }
            state.energyWh = try nonNegative(fields, "energyWh")
            // A board file may have lowered maxCurrentA since: the hardware cannot exceed it.
            state.limitA = min(try nonNegative(fields, "limitA"), board.maxCurrentA)
            state.contactorClosed = try fields.bool("contactorClosed")
            state.locked = try fields.bool("locked")
            result.append(state)
        }
        return result
    }

    private static func nonNegative(_ fields: HWJSONFields, _ key: String) throws(HWJSONFieldError) -> Double {
        let value = try fields.number(key)
        if !(value >= 0) {
            throw HWJSONFieldError(field: fields.fieldPath(key), reason: "must be 0 or more, got \(jsonNumber(value))")
        }
        return value
    }
}
