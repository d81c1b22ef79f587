// EVSE.Power (appendix: "the actual value of the instantaneous (real) power flow"), live from the meter.
internal import OCPPMessages

extension ChargingStation {
    static let meteringVariables: [VariableBinding] = [
        .live("EVSE", "Power") { station, key in
            guard let evse = key.evseId, let watts = station.physical[evse]?.powerW else { return nil }
            let unit = station.deviceModel.characteristics(of: key)?.unit
            return DeviceModel.format(unit == "kW" ? watts / 1000 : watts)
        },
    ]
}
