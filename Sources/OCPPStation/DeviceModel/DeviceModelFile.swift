// Reading device-model.json: the OCPP-native shape (a list of components, each with variables, each variable with
// variableAttribute and variableCharacteristics, as in NotifyReport's ReportDataType), so a user can read it
// against Part 2's appendices.
internal import OCPPMessages

/// A device-model file that does not validate: which file, which field, why.
public struct DeviceModelError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var reason: String

    public init(file: String, field: String, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    /// One line, whatever the file holds.
    public var description: String {
        "device model \(file): \(field.isEmpty ? "" : field + ": ")\(reason)".escapingControlCharacters
    }
}

extension DeviceModel {

    /// Parses and validates a device-model document. `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(DeviceModelError) -> DeviceModel {
        let root: JSONValue
        do {
            root = try JSONParser.parse(text)
        } catch {
            throw DeviceModelError(file: file, field: "", reason: "not valid JSON: \(error)")
        }
        var reader = Reader(file: file)
        let model = try reader.model(root)
        return model
    }

    /// The variables the station cannot run without, checked once at start: every variable the appendix marks
    /// required (`requiredVariables`, generated from dm_components_vars.csv with reviewed overrides) for every
    /// component the file holds and every controller the station implements, with the appendix's dataType.
    public func checkRequiredVariables(file: String) throws(DeviceModelError) {
        let present = Set(components.map(\.name))
        for required in Self.requiredVariables
        where Self.implementedComponents.contains(required.component) || present.contains(required.component) {
            let holders = components.filter { $0.name == required.component }
            let label = required.component + "." + required.variable + (required.instance.map { "(\($0))" } ?? "")
            if holders.isEmpty {
                throw DeviceModelError(file: file, field: label, reason: "missing required variable (component \(required.component) is missing)")
            }
            for component in holders {
                let field = component.name + component.address + "." + required.variable + (required.instance.map { "(\($0))" } ?? "")
                guard let variable = component.variables.first(where: { $0.name == required.variable && $0.instance == required.instance }) else {
                    throw DeviceModelError(file: file, field: field, reason: "missing required variable")
                }
                if variable.characteristics.dataType != required.dataType {
                    throw DeviceModelError(
                        file: file, field: field,
                        reason: "dataType is \(variable.characteristics.dataType.rawValue), the appendix says \(required.dataType.rawValue)")
                }
            }
        }
        if let timeout = integer("OCPPCommCtrlr", "MessageTimeout", instance: "Default"), timeout < 1 {
            throw DeviceModelError(file: file, field: "OCPPCommCtrlr.MessageTimeout(Default)", reason: "must be at least 1 second")
        }
    }
}

extension DeviceModel.Component {
    /// "(instance)[evse 1 connector 1]", empty for a plain component: how errors and logs name it.
    var address: String {
        (instance.map { "(\($0))" } ?? "")
            + (evseId.map { "[evse \($0)" + (connectorId.map { " connector \($0)" } ?? "") + "]" } ?? "")
    }
}

private struct Reader {
    let file: String

    func fail(_ field: String, _ reason: String) -> DeviceModelError {
        DeviceModelError(file: file, field: field, reason: reason)
    }

    func object(_ value: JSONValue, _ field: String, allowed: Set<String>) throws(DeviceModelError) -> JSONObject {
        guard case .object(let object) = value else { throw fail(field, "must be an object") }
        for key in object.keys where !allowed.contains(key) {
            throw fail(field.isEmpty ? key : "\(field).\(key)", "unknown field")
        }
        return object
    }

    func string(_ object: JSONObject, _ key: String, _ field: String, required: Bool = true) throws(DeviceModelError) -> String? {
        guard let value = object[key] else {
            if required { throw fail("\(field).\(key)", "missing") }
            return nil
        }
        guard case .string(let text) = value else { throw fail("\(field).\(key)", "must be a string") }
        return text
    }

    func bool(_ object: JSONObject, _ key: String, _ field: String, default defaultValue: Bool) throws(DeviceModelError) -> Bool {
        guard let value = object[key] else { return defaultValue }
        guard case .bool(let flag) = value else { throw fail("\(field).\(key)", "must be true or false") }
        return flag
    }

    func int(_ object: JSONObject, _ key: String, _ field: String, required: Bool) throws(DeviceModelError) -> Int? {
        guard let value = object[key] else {
            if required { throw fail("\(field).\(key)", "missing") }
            return nil
        }
        guard case .int(let number) = value, number >= 0, number <= Int64(Int32.max) else {
            throw fail("\(field).\(key)", "must be a non-negative integer")
        }
        return Int(number)
    }

    func number(_ object: JSONObject, _ key: String, _ field: String) throws(DeviceModelError) -> Double? {
        switch object[key] {
        case nil: return nil
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: throw fail("\(field).\(key)", "must be a number")
        }
    }

    func identifier(_ object: JSONObject, _ key: String, _ field: String, required: Bool) throws(DeviceModelError) -> String? {
        guard let text = try string(object, key, field, required: required) else { return nil }
        // ComponentType.name / VariableType.name are string[50] (identifierString).
        if text.isEmpty || text.count > 50 { throw fail("\(field).\(key)", "must be 1 to 50 characters") }
        return text
    }

    mutating func model(_ root: JSONValue) throws(DeviceModelError) -> DeviceModel {
        guard case .array(let list) = root else { throw fail("", "must be a JSON list of components") }
        var components: [DeviceModel.Component] = []
        var seen = Set<VariableAttributeKey>()
        for (index, element) in list.enumerated() {
            let component = try self.component(element, "[\(index)]")
            for variable in component.variables {
                for attribute in variable.attributes {
                    let key = DeviceModel.key(component, variable, attribute.type)
                    if !seen.insert(key).inserted {
                        throw fail("[\(index)](\(component.name)).\(variable.name)", "duplicate variable: \(key) is defined twice")
                    }
                }
            }
            components.append(component)
        }
        return DeviceModel(components: components)
    }

    func component(_ value: JSONValue, _ field: String) throws(DeviceModelError) -> DeviceModel.Component {
        let object = try self.object(value, field, allowed: ["name", "instance", "evse", "variables"])
        let name = try identifier(object, "name", field, required: true)!
        let label = "\(field)(\(name))"
        let instance = try identifier(object, "instance", label, required: false)
        var evseId: Int?
        var connectorId: Int?
        if let evse = object["evse"] {
            let evseObject = try self.object(evse, "\(label).evse", allowed: ["id", "connectorId"])
            evseId = try int(evseObject, "id", "\(label).evse", required: true)
            connectorId = try int(evseObject, "connectorId", "\(label).evse", required: false)
        }
        guard case .array(let list)? = object["variables"] else { throw fail("\(label).variables", "must be a list") }
        var variables: [DeviceModel.Variable] = []
        for (index, element) in list.enumerated() {
            variables.append(try variable(element, "\(label).variables[\(index)]"))
        }
        return .init(name: name, instance: instance, evseId: evseId, connectorId: connectorId, variables: variables)
    }

    func variable(_ value: JSONValue, _ field: String) throws(DeviceModelError) -> DeviceModel.Variable {
        let object = try self.object(value, field, allowed: ["name", "instance", "variableAttribute", "variableCharacteristics"])
        let name = try identifier(object, "name", field, required: true)!
        let label = "\(field)(\(name))"
        let instance = try identifier(object, "instance", label, required: false)
        guard let characteristicsValue = object["variableCharacteristics"] else {
            throw fail("\(label).variableCharacteristics", "missing")
        }
        let characteristics = try self.characteristics(characteristicsValue, "\(label).variableCharacteristics")
        guard case .array(let list)? = object["variableAttribute"], !list.isEmpty else {
            throw fail("\(label).variableAttribute", "must be a non-empty list")
        }
        var attributes: [DeviceModel.Attribute] = []
        for (index, element) in list.enumerated() {
            let attributeField = "\(label).variableAttribute[\(index)]"
            let attribute = try self.attribute(element, attributeField)
            if attributes.contains(where: { $0.type == attribute.type }) {
                throw fail(attributeField, "attribute type \(attribute.type) appears twice")
            }
            if let problem = DeviceModel.check(value: attribute.value, against: characteristics, allowUnset: true) {
                throw fail("\(attributeField).value", problem)
            }
            attributes.append(attribute)
        }
        return .init(name: name, instance: instance, attributes: attributes, characteristics: characteristics)
    }

    func attribute(_ value: JSONValue, _ field: String) throws(DeviceModelError) -> DeviceModel.Attribute {
        let object = try self.object(value, field, allowed: ["type", "value", "mutability", "persistent", "constant"])
        let typeText = try string(object, "type", field, required: false) ?? "Actual"
        guard let type = AttributeEnumType(rawValue: typeText) else {
            throw fail("\(field).type", "\"\(typeText)\" is not Actual, Target, MinSet or MaxSet")
        }
        let mutabilityText = try string(object, "mutability", field, required: false) ?? "ReadWrite"
        guard let mutability = MutabilityEnumType(rawValue: mutabilityText) else {
            throw fail("\(field).mutability", "\"\(mutabilityText)\" is not ReadOnly, WriteOnly or ReadWrite")
        }
        let value = try string(object, "value", field, required: false) ?? ""
        return .init(
            type: type, value: value, mutability: mutability,
            persistent: try bool(object, "persistent", field, default: false),
            constant: try bool(object, "constant", field, default: false))
    }

    func characteristics(_ value: JSONValue, _ field: String) throws(DeviceModelError) -> DeviceModel.Characteristics {
        let object = try self.object(
            value, field, allowed: ["dataType", "unit", "minLimit", "maxLimit", "valuesList", "supportsMonitoring"])
        let dataTypeText = try string(object, "dataType", field)!
        guard let dataType = DataEnumType(rawValue: dataTypeText) else {
            throw fail(
                "\(field).dataType",
                "\"\(dataTypeText)\" is not a DataEnumType value (\(DataEnumType.allCases.map(\.rawValue).sorted().joined(separator: ", ")))")
        }
        let valuesList = try string(object, "valuesList", field, required: false)
        if dataType == .optionList && valuesList == nil {
            throw fail("\(field).valuesList", "required for an OptionList")
        }
        let minLimit = try number(object, "minLimit", field)
        let maxLimit = try number(object, "maxLimit", field)
        if let minLimit, let maxLimit, minLimit > maxLimit { throw fail(field, "minLimit is above maxLimit") }
        return .init(
            dataType: dataType, unit: try string(object, "unit", field, required: false), minLimit: minLimit,
            maxLimit: maxLimit, valuesList: valuesList,
            supportsMonitoring: try bool(object, "supportsMonitoring", field, default: false))
    }
}
