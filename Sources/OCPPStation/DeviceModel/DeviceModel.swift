// The OCPP device model (Part 1 §4, Part 2 block B): components, their variables and each variable's attributes.
public import OCPPMessages

public struct DeviceModel: Sendable {
    public struct Component: Sendable, Hashable {
        public var name: String
        public var instance: String?
        public var evseId: Int?
        public var connectorId: Int?
        public var variables: [Variable]

        public init(name: String, instance: String? = nil, evseId: Int? = nil, connectorId: Int? = nil, variables: [Variable]) {
            self.name = name
            self.instance = instance
            self.evseId = evseId
            self.connectorId = connectorId
            self.variables = variables
        }
    }

    public struct Variable: Sendable, Hashable {
        public var name: String
        public var instance: String?
        public var attributes: [Attribute]
        public var characteristics: Characteristics

        public init(name: String, instance: String? = nil, attributes: [Attribute], characteristics: Characteristics) {
            self.name = name
            self.instance = instance
            self.attributes = attributes
            self.characteristics = characteristics
        }
    }

    public struct Attribute: Sendable, Hashable {
        public var type: AttributeEnumType
        public var value: String
        public var mutability: MutabilityEnumType
        public var persistent: Bool
        public var constant: Bool

        public init(
            type: AttributeEnumType = .actual, value: String, mutability: MutabilityEnumType = .readWrite,
            persistent: Bool = false, constant: Bool = false
        ) {
            self.type = type
            self.value = value
            self.mutability = mutability
            self.persistent = persistent
            self.constant = constant
        }
    }

    public struct Characteristics: Sendable, Hashable {
        public var dataType: DataEnumType
        public var unit: String?
        public var minLimit: Double?
        public var maxLimit: Double?
        public var valuesList: String?
        public var supportsMonitoring: Bool

        public init(
            dataType: DataEnumType, unit: String? = nil, minLimit: Double? = nil, maxLimit: Double? = nil,
            valuesList: String? = nil, supportsMonitoring: Bool = false
        ) {
            self.dataType = dataType
            self.unit = unit
            self.minLimit = minLimit
            self.maxLimit = maxLimit
            self.valuesList = valuesList
            self.supportsMonitoring = supportsMonitoring
        }
    }

    public private(set) var components: [Component]
    private var index: [VariableAttributeKey: (component: Int, variable: Int, attribute: Int)]

    public init(components: [Component]) {
        self.components = []
        self.index = [:]
        for component in components { add(component) }
    }

    static func key(_ component: Component, _ variable: Variable, _ attributeType: AttributeEnumType) -> VariableAttributeKey {
        VariableAttributeKey(
            component: component.name, componentInstance: component.instance, evseId: component.evseId,
            connectorId: component.connectorId, variable: variable.name, variableInstance: variable.instance,
            attributeType: attributeType.rawValue)
    }

    /// Adds a component, or its variables to the component of the same identity; an attribute already there is
    /// replaced.
    public mutating func add(_ component: Component) {
        let c: Int
        if let existing = components.firstIndex(where: {
            $0.name == component.name && $0.instance == component.instance && $0.evseId == component.evseId
                && $0.connectorId == component.connectorId
        }) {
            c = existing
        } else {
            c = components.count
            components.append(Component(
                name: component.name, instance: component.instance, evseId: component.evseId,
                connectorId: component.connectorId, variables: []))
        }
        for variable in component.variables {
            if let v = components[c].variables.firstIndex(where: { $0.name == variable.name && $0.instance == variable.instance }) {
                components[c].variables[v] = variable
            } else {
                components[c].variables.append(variable)
            }
        }
        for (v, variable) in components[c].variables.enumerated() {
            for (a, attribute) in variable.attributes.enumerated() {
                index[Self.key(components[c], variable, attribute.type)] = (c, v, a)
            }
        }
    }

    /// Every variable with its component, in the file's order (reports walk this).
    public var allVariables: [(component: Component, variable: Variable)] {
        components.flatMap { component in component.variables.map { (component, $0) } }
    }

    // MARK: Lookup

    public enum Lookup: Sendable, Hashable {
        case found(Attribute, Characteristics)
        case unknownComponent
        case unknownVariable
        case unsupportedAttributeType
    }

    /// Finds an attribute the way GetVariables/SetVariables address it (B06.FR.06-08, B06.FR.14/15).
    public func lookup(_ key: VariableAttributeKey) -> Lookup {
        if let (c, v, a) = index[key] {
            let variable = components[c].variables[v]
            return .found(variable.attributes[a], variable.characteristics)
        }
        let componentMatches = components.filter {
            $0.name == key.component && $0.instance == key.componentInstance && $0.evseId == key.evseId
                && $0.connectorId == key.connectorId
        }
        if componentMatches.isEmpty { return .unknownComponent }
        let variableExists = componentMatches.contains { component in
            component.variables.contains { $0.name == key.variable && $0.instance == key.variableInstance }
        }
        return variableExists ? .unsupportedAttributeType : .unknownVariable
    }

    public func characteristics(of key: VariableAttributeKey) -> Characteristics? {
        guard let (c, v, _) = index[key] else { return nil }
        return components[c].variables[v].characteristics
    }

    public func value(_ key: VariableAttributeKey) -> String? {
        guard let (c, v, a) = index[key] else { return nil }
        return components[c].variables[v].attributes[a].value
    }

    /// The Actual value of `component.variable` as an integer, nil when absent or not an integer.
    public func integer(_ component: String, _ variable: String, instance: String? = nil) -> Int? {
        value(VariableAttributeKey(component: component, variable: variable, variableInstance: instance)).flatMap { Int($0) }
    }

    public func string(_ component: String, _ variable: String, instance: String? = nil) -> String? {
        value(VariableAttributeKey(component: component, variable: variable, variableInstance: instance))
    }

    /// Replaces a value without checks: for values the station itself maintains (AvailabilityState, DateTime).
    public mutating func setStationValue(_ value: String, for key: VariableAttributeKey) {
        guard let (c, v, a) = index[key] else { return }
        components[c].variables[v].attributes[a].value = value
    }

    // MARK: Writes from the CSMS

    public enum WriteResult: Sendable, Hashable {
        case accepted(persistent: Bool)
        case rejected(reason: String)
        case unknownComponent
        case unknownVariable
        case unsupportedAttributeType
    }

    /// Applies a SetVariables write (B05.FR.04-10). The caller persists it when `persistent` is true.
    public mutating func write(_ value: String, to key: VariableAttributeKey) -> WriteResult {
        switch lookup(key) {
        case .unknownComponent: return .unknownComponent
        case .unknownVariable: return .unknownVariable
        case .unsupportedAttributeType: return .unsupportedAttributeType
        case .found(let attribute, let characteristics):
            // B05.FR.09: a ReadOnly variable cannot be set.
            if attribute.mutability == .readOnly || attribute.constant {
                return .rejected(reason: "ReadOnly")
            }
            // B05.FR.07/08: wrongly formatted or out of range.
            if let problem = DeviceModel.check(value: value, against: characteristics) {
                return .rejected(reason: problem)
            }
            let (c, v, a) = index[key]!
            components[c].variables[v].attributes[a].value = value
            return .accepted(persistent: attribute.persistent)
        }
    }

    /// Whether `value` is valid for a variable with these characteristics; nil when it is, otherwise why not.
    /// `allowUnset`: an empty value means "no value yet" (a Target not set, a live value), as in a device-model file.
    public static func check(value: String, against characteristics: Characteristics, allowUnset: Bool = false) -> String? {
        if allowUnset && value.isEmpty { return nil }
        if value.utf8.count > 2500 { return "longer than 2500 characters" }
        let list = characteristics.valuesList.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        switch characteristics.dataType {
        case .string:
            if let max = characteristics.maxLimit, Double(value.count) > max { return "longer than \(Int(max)) characters" }
        case .integer:
            guard let number = Int(value) else { return "\"\(value)\" is not an integer" }
            return checkRange(Double(number), characteristics)
        case .decimal:
            guard let number = Double(value), number.isFinite else { return "\"\(value)\" is not a decimal" }
            return checkRange(number, characteristics)
        case .boolean:
            if value != "true" && value != "false" { return "\"\(value)\" is not true or false" }
        case .dateTime:
            if !value.isEmpty && OCPPDateTime(rfc3339: value) == nil { return "\"\(value)\" is not an RFC 3339 date-time" }
        case .optionList:
            if let list, !list.contains(value) { return "\"\(value)\" is not one of \(characteristics.valuesList ?? "")" }
        case .sequenceList, .memberList:
            // An empty list is a valid value (AlignedDataTxEndedMeasurands: "when left empty, no ... measurands").
            if let max = characteristics.maxLimit, Double(value.count) > max { return "longer than \(Int(max)) characters" }
            if let list, !value.isEmpty {
                var seen = Set<Substring>()
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    if !list.contains(String(item)) { return "\"\(item)\" is not one of \(characteristics.valuesList ?? "")" }
                    // A MemberList is a set: each member once.
                    if characteristics.dataType == .memberList && !seen.insert(item).inserted { return "\(item) appears twice" }
                }
            }
        }
        return nil
    }

    private static func checkRange(_ number: Double, _ characteristics: Characteristics) -> String? {
        if let min = characteristics.minLimit, number < min { return "below minLimit \(format(min))" }
        if let max = characteristics.maxLimit, number > max { return "above maxLimit \(format(max))" }
        return nil
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
