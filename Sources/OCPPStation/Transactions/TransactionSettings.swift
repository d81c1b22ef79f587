// TxCtrlr, SampledDataCtrlr and AlignedDataCtrlr as the transaction engine reads them. Built from the device model
// before every step, so a value the CSMS sets takes effect at once.
public import OCPPMessages

/// A TxStartPoint / TxStopPoint value (Part 2 appendix 2.6.6).
public enum TxPoint: String, Sendable, Hashable, CaseIterable {
    case parkingBayOccupancy = "ParkingBayOccupancy"
    case evConnected = "EVConnected"
    case authorized = "Authorized"
    case dataSigned = "DataSigned"
    case powerPathClosed = "PowerPathClosed"
    case energyTransfer = "EnergyTransfer"

    public static func list(_ text: String?) -> Set<TxPoint> {
        Set((text ?? "").split(separator: ",").compactMap { TxPoint(rawValue: String($0).trimmingSpaces) })
    }
}

public struct TransactionSettings: Sendable, Hashable {
    public var startPoints: Set<TxPoint>
    /// As configured. `stopConditions` is what the engine watches.
    public var stopPoints: Set<TxPoint>
    public var stopTxOnEVSideDisconnect = true
    public var unlockOnEVSideDisconnect = true
    public var stopTxOnInvalidId = true
    public var maxEnergyOnInvalidId: Int?
    /// EVConnectionTimeOut, seconds.
    public var evConnectionTimeOut = 60
    public var startedMeasurands: [MeasurandEnumType] = []
    public var updatedMeasurands: [MeasurandEnumType] = []
    /// SampledDataCtrlr.TxUpdatedInterval, seconds; 0: no periodic samples.
    public var updatedInterval = 0
    public var endedMeasurands: [MeasurandEnumType] = []
    /// SampledDataCtrlr.TxEndedInterval, seconds; 0: only the values at start and end.
    public var endedInterval = 0
    public var alignedMeasurands: [MeasurandEnumType] = []
    public var alignedInterval = 0
    public var alignedEndedMeasurands: [MeasurandEnumType] = []
    public var alignedEndedInterval = 0
    /// AlignedDataCtrlr.SendDuringIdle: true means no clock-aligned values while a transaction runs.
    public var alignedSendDuringIdle = false

    public init(startPoints: Set<TxPoint>, stopPoints: Set<TxPoint>) {
        self.startPoints = startPoints
        self.stopPoints = stopPoints
    }

    /// The conditions whose end ends a transaction. PowerPathClosed as a stop point "is exactly the same as having
    /// the values EVConnected, Authorized" (appendix 2.6.6.2).
    public var stopConditions: Set<TxPoint> {
        var conditions = stopPoints
        if conditions.remove(.powerPathClosed) != nil {
            conditions.formUnion([.evConnected, .authorized])
        }
        return conditions
    }

    /// Checks beyond the device model's dataType and valuesList; nil when the value may be set.
    public static func problem(with value: String, for key: VariableAttributeKey) -> String? {
        guard key.component == "TxCtrlr", key.attributeType == "Actual" else { return nil }
        if key.variable == "TxStopPoint", TxPoint.list(value).contains(.dataSigned) {
            // DataSigned marks a start (the first signed meter value); it has no meaning as a stop point.
            return "DataSigned is not a TxStopPoint"
        }
        return nil
    }

    public init(_ model: DeviceModel) {
        func string(_ component: String, _ variable: String) -> String? { model.string(component, variable) }
        func bool(_ component: String, _ variable: String, _ fallback: Bool) -> Bool {
            string(component, variable).map { $0 == "true" } ?? fallback
        }
        func integer(_ component: String, _ variable: String) -> Int { max(0, model.integer(component, variable) ?? 0) }
        self.init(
            startPoints: TxPoint.list(string("TxCtrlr", "TxStartPoint") ?? "PowerPathClosed"),
            stopPoints: TxPoint.list(string("TxCtrlr", "TxStopPoint") ?? "EVConnected,Authorized"))
        stopTxOnEVSideDisconnect = bool("TxCtrlr", "StopTxOnEVSideDisconnect", true)
        unlockOnEVSideDisconnect = bool("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", true)
        stopTxOnInvalidId = bool("TxCtrlr", "StopTxOnInvalidId", true)
        maxEnergyOnInvalidId = model.integer("TxCtrlr", "MaxEnergyOnInvalidId")
        evConnectionTimeOut = model.integer("TxCtrlr", "EVConnectionTimeOut") ?? 60
        startedMeasurands = MeterSampler.measurands(string("SampledDataCtrlr", "TxStartedMeasurands"))
        updatedMeasurands = MeterSampler.measurands(string("SampledDataCtrlr", "TxUpdatedMeasurands"))
        updatedInterval = integer("SampledDataCtrlr", "TxUpdatedInterval")
        endedMeasurands = MeterSampler.measurands(string("SampledDataCtrlr", "TxEndedMeasurands"))
        endedInterval = integer("SampledDataCtrlr", "TxEndedInterval")
        alignedMeasurands = MeterSampler.measurands(string("AlignedDataCtrlr", "Measurands"))
        alignedInterval = integer("AlignedDataCtrlr", "Interval")
        alignedEndedMeasurands = MeterSampler.measurands(string("AlignedDataCtrlr", "TxEndedMeasurands"))
        alignedEndedInterval = integer("AlignedDataCtrlr", "TxEndedInterval")
        alignedSendDuringIdle = bool("AlignedDataCtrlr", "SendDuringIdle", false)
    }
}
