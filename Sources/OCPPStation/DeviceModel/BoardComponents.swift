// The EVSE and Connector components of the board (Part 2 appendix, "Charging Infrastructure"): generated from the
// board file for every EVSE and connector device-model.json does not describe, so a board with more EVSEs needs no
// JSON edit. A component the file has is kept as it is (the file may add variables or change characteristics).
internal import OCPPMessages

extension DeviceModel {
    /// What the device model needs to know of one EVSE of the board.
    public struct BoardEVSE: Sendable, Hashable {
        public var id: Int
        /// The most the EVSE can deliver (EVSE.Power's maxLimit, which the appendix requires), watts.
        public var maxPowerW: Double
        public var supplyPhases: Int
        public var connectors: [ConnectorDescription]

        public init(id: Int, maxPowerW: Double, supplyPhases: Int = 3, connectors: [ConnectorDescription]) {
            self.id = id
            self.maxPowerW = maxPowerW
            self.supplyPhases = supplyPhases
            self.connectors = connectors
        }
    }

    /// Adds the EVSE and Connector components the file lacks, with the appendix's required variables (AvailabilityState,
    /// Available, Power, SupplyPhases, ConnectorType) and Problem (what the hard-wired monitors watch).
    public mutating func addBoardComponents(_ evses: [BoardEVSE]) {
        func has(_ name: String, _ evse: Int, _ connector: Int?) -> Bool {
            components.contains { $0.name == name && $0.evseId == evse && $0.connectorId == connector && $0.instance == nil }
        }
        func readOnly(_ name: String, _ value: String, _ characteristics: Characteristics, persistent: Bool = true, constant: Bool = true) -> Variable {
            Variable(
                name: name, attributes: [Attribute(value: value, mutability: .readOnly, persistent: persistent, constant: constant)],
                characteristics: characteristics)
        }
        let availability = Characteristics(
            dataType: .optionList, valuesList: "Available,Occupied,Reserved,Unavailable,Faulted", supportsMonitoring: true)
        for evse in evses {
            if !has("EVSE", evse.id, nil) {
                add(Component(name: "EVSE", evseId: evse.id, variables: [
                    readOnly("AvailabilityState", "Available", availability, persistent: false, constant: false),
                    readOnly("Available", "true", Characteristics(dataType: .boolean)),
                    readOnly(
                        "Power", "0", Characteristics(dataType: .decimal, unit: "W", minLimit: 0, maxLimit: evse.maxPowerW, supportsMonitoring: true),
                        persistent: false, constant: false),
                    readOnly("Problem", "false", Characteristics(dataType: .boolean, supportsMonitoring: true), persistent: false, constant: false),
                    readOnly("SupplyPhases", String(evse.supplyPhases), Characteristics(dataType: .integer)),
                ]))
            }
            for connector in evse.connectors where !has("Connector", evse.id, connector.id) {
                add(Component(name: "Connector", evseId: evse.id, connectorId: connector.id, variables: [
                    readOnly("AvailabilityState", "Available", availability, persistent: false, constant: false),
                    readOnly("Available", "true", Characteristics(dataType: .boolean)),
                    readOnly("ConnectorType", connector.type, Characteristics(dataType: .string)),
                    readOnly("SupplyPhases", String(evse.supplyPhases), Characteristics(dataType: .integer)),
                ]))
            }
        }
    }
}
