// Block J (J01, J02): turning a meter reading into OCPP sampled values, and the sampling schedules of
// SampledDataCtrlr and AlignedDataCtrlr. Pure: the station reads the meter (BoardHardware.physicalState) and hands
// the reading in.
public import OCPPMessages

/// One reading of an EVSE's meter, as the hardware reports it.
public struct MeterReading: Sendable, Hashable {
    /// The energy register (Wh), never decreasing.
    public var energyWh: Double
    public var powerW: Double
    /// The current the EVSE offers (A).
    public var offeredA: Double

    public init(energyWh: Double, powerW: Double = 0, offeredA: Double = 0) {
        self.energyWh = energyWh
        self.powerW = powerW
        self.offeredA = offeredA
    }

    public init(_ state: EVSEPhysicalState) {
        self.init(energyWh: state.energyWh, powerW: state.powerW, offeredA: state.limitA)
    }
}

public enum MeterSampler {
    /// The measurands this station's meters provide: the valuesList of every *Measurands variable.
    public static let supported: [MeasurandEnumType] = [.energyActiveImportRegister, .powerActiveImport, .currentOffered]

    /// Parses a MemberList of measurands; unknown or unsupported names are skipped (SetVariables already rejected
    /// them against the valuesList).
    public static func measurands(_ list: String?) -> [MeasurandEnumType] {
        guard let list else { return [] }
        return list.split(separator: ",").compactMap { MeasurandEnumType(rawValue: String($0).trimmingSpaces) }
            .filter { supported.contains($0) }
    }

    /// A meter value with the configured measurands; nil when none are configured.
    public static func meterValue(
        _ reading: MeterReading, measurands: [MeasurandEnumType], context: ReadingContextEnumType, at time: OCPPDateTime
    ) -> MeterValueType? {
        let values: [SampledValueType] = measurands.compactMap { measurand in
            switch measurand {
            case .energyActiveImportRegister:
                return SampledValueType(
                    value: (reading.energyWh * 1000).rounded() / 1000, context: context, measurand: measurand, location: .outlet,
                    unitOfMeasure: UnitOfMeasureType(unit: "Wh"))
            case .powerActiveImport:
                return SampledValueType(
                    value: (reading.powerW * 10).rounded() / 10, context: context, measurand: measurand, location: .outlet,
                    unitOfMeasure: UnitOfMeasureType(unit: "W"))
            case .currentOffered:
                return SampledValueType(
                    value: reading.offeredA, context: context, measurand: measurand, location: .outlet,
                    unitOfMeasure: UnitOfMeasureType(unit: "A"))
            default:
                return nil
            }
        }
        return values.isEmpty ? nil : MeterValueType(sampledValue: values, timestamp: time)
    }

    /// The next clock-aligned instant after `time` for an interval in seconds, counted from midnight UTC
    /// (AlignedDataInterval: "evenly spaced aggregation intervals per day, starting at 00:00:00"). nil for 0.
    public static func nextAligned(after time: Double, interval: Int) -> Double? {
        guard interval > 0 else { return nil }
        let day = (time / 86_400).rounded(.down) * 86_400
        let slots = ((time - day) / Double(interval)).rounded(.down) + 1
        return min(day + slots * Double(interval), day + 86_400)
    }
}

extension StringProtocol {
    /// Without the spaces around it (list items such as "EVConnected, Authorized"). Plain slicing: reversed and
    /// lazily dropped collections each instantiate generic metadata at first use, 1 M instructions at start-up.
    var trimmingSpaces: String {
        var text = self[...]
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
