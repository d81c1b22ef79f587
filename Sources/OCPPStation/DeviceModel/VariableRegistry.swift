// The variable registry: what a variable does besides holding a value. A block registers, for the variables it owns,
// a validator (beyond dataType, limits and valuesList), an effect applied when the CSMS sets it (at once, or
// RebootRequired where it only takes effect after a reboot) and a getter for values the station knows live (power,
// availability, the clock). GetVariables, SetVariables and the reports all go through it, so they agree.
internal import OCPPMessages

/// What a set did once the value was stored.
public enum VariableSetEffect: Sendable, Hashable {
    /// The value took effect at once.
    case applied
    /// The value is stored and takes effect after a reboot: SetVariables answers RebootRequired.
    case rebootRequired
}

/// A variable by component and variable name, whatever the instance and EVSE: how the registry keys its hooks.
public struct VariableName: Sendable, Hashable, CustomStringConvertible {
    public var component: String
    public var variable: String

    public init(_ component: String, _ variable: String) {
        self.component = component
        self.variable = variable
    }

    public var description: String { "\(component).\(variable)" }
}

/// The hooks of one variable. The station's own blocks reach into the station (isolated to it); a manufacturer's
/// code registers plain closures through `ChargingStation.register(_:validate:onSet:live:)`.
struct VariableHooks: Sendable {
    /// Why a value may not be set, nil when it may (checked after the device model's own checks).
    var validate: (@Sendable (VariableAttributeKey, String) -> String?)?
    /// Runs after a set was stored.
    var onSet: (@Sendable (isolated ChargingStation, VariableAttributeKey, String) -> VariableSetEffect)?
    /// The Actual value as it is now; nil: the stored value.
    var live: (@Sendable (isolated ChargingStation, VariableAttributeKey) -> String?)?
}

struct VariableBinding: Sendable {
    var name: VariableName
    var hooks: VariableHooks

    static func live(
        _ component: String, _ variable: String,
        _ getter: @escaping @Sendable (isolated ChargingStation, VariableAttributeKey) -> String?
    ) -> VariableBinding {
        VariableBinding(name: VariableName(component, variable), hooks: VariableHooks(live: getter))
    }

    static func onSet(
        _ component: String, _ variable: String,
        validate: (@Sendable (VariableAttributeKey, String) -> String?)? = nil,
        _ effect: @escaping @Sendable (isolated ChargingStation, VariableAttributeKey, String) -> VariableSetEffect
    ) -> VariableBinding {
        VariableBinding(name: VariableName(component, variable), hooks: VariableHooks(validate: validate, onSet: effect))
    }
}

struct VariableRegistry: Sendable {
    private var hooks: [VariableName: VariableHooks] = [:]

    init(_ bindings: [VariableBinding]) {
        for binding in bindings { add(binding) }
    }

    /// Adds hooks; a later binding for the same variable replaces the hooks it sets and keeps the others.
    mutating func add(_ binding: VariableBinding) {
        var merged = hooks[binding.name] ?? VariableHooks()
        if let validate = binding.hooks.validate { merged.validate = validate }
        if let onSet = binding.hooks.onSet { merged.onSet = onSet }
        if let live = binding.hooks.live { merged.live = live }
        hooks[binding.name] = merged
    }

    subscript(_ key: VariableAttributeKey) -> VariableHooks? {
        hooks[VariableName(key.component, key.variable)]
    }
}

extension ChargingStation {
    /// Every block's variables; `ChargingStation.init` builds the registry from them.
    static var variableBindings: [VariableBinding] {
        clockVariables + provisioningVariables + availabilityVariables + meteringVariables + transactionVariables
            + securityVariables
    }

    /// The value GetVariables, reports and monitors see: the live value for an Actual attribute that has a getter,
    /// otherwise the stored one.
    func currentValue(_ key: VariableAttributeKey, stored: String) -> String {
        guard key.attributeType == AttributeEnumType.actual.rawValue, let live = variables[key]?.live else { return stored }
        return live(self, key) ?? stored
    }

    /// A value the station itself changes (the heartbeat interval the CSMS gave at boot, ...): through the device
    /// model, so reports and GetVariables see it.
    func setStationValue(_ value: String, for key: VariableAttributeKey) {
        deviceModel.setStationValue(value, for: key)
        monitorWakeup.wake()  // the monitors look at it at once
    }

    /// Runs `effect` after the CSMS set `component.variable` (any instance, any EVSE) and it was stored: how code
    /// outside the station's blocks (a transport's ping interval, a manufacturer's hardware) follows a variable the
    /// device model already has. Replaces an effect registered before for it. Call before `run()`.
    public func onSet(
        _ component: String, _ variable: String, _ effect: @escaping @Sendable (VariableAttributeKey, String) -> VariableSetEffect
    ) {
        variables.add(VariableBinding(
            name: VariableName(component, variable),
            hooks: VariableHooks(onSet: { (_: isolated ChargingStation, key: VariableAttributeKey, value: String) in effect(key, value) })))
    }

    /// Registers a manufacturer's own components and variables, in code rather than in device-model.json: the
    /// component's variables join the device model (its values are checked like the file's), and the hooks make a
    /// set take effect and a read show the live value. Call before `run()`.
    /// - Parameters:
    ///   - validate: why a value may not be set (nil: it may), beyond dataType, limits and valuesList.
    ///   - onSet: called after a CSMS set was stored; `.rebootRequired` answers RebootRequired.
    ///   - live: the Actual value now; nil falls back to the stored value.
    public func register(
        _ component: DeviceModel.Component,
        validate: (@Sendable (VariableAttributeKey, String) -> String?)? = nil,
        onSet: (@Sendable (VariableAttributeKey, String) -> VariableSetEffect)? = nil,
        live: (@Sendable (VariableAttributeKey) -> String?)? = nil
    ) throws(DeviceModelError) {
        for variable in component.variables {
            for attribute in variable.attributes {
                if let problem = DeviceModel.check(value: attribute.value, against: variable.characteristics, allowUnset: true) {
                    throw DeviceModelError(
                        file: "(registered in code)", field: "\(component.name)\(component.address).\(variable.name)", reason: problem)
                }
            }
        }
        deviceModel.add(component)
        var hooks = VariableHooks(validate: validate)
        if let onSet {
            hooks.onSet = { (_: isolated ChargingStation, key: VariableAttributeKey, value: String) in onSet(key, value) }
        }
        if let live {
            hooks.live = { (_: isolated ChargingStation, key: VariableAttributeKey) in live(key) }
        }
        for variable in component.variables {
            variables.add(VariableBinding(name: VariableName(component.name, variable.name), hooks: hooks))
        }
    }
}
