// The variables the transaction engine reads (TransactionSettings): a set takes effect at once, the running
// transactions and timers included.
internal import OCPPMessages

extension ChargingStation {
    static let transactionVariables: [VariableBinding] = {
        let names: [(String, String)] = [
            ("TxCtrlr", "EVConnectionTimeOut"), ("TxCtrlr", "StopTxOnEVSideDisconnect"), ("TxCtrlr", "StopTxOnInvalidId"),
            ("TxCtrlr", "MaxEnergyOnInvalidId"), ("TxCtrlr", "TxStartPoint"), ("TxCtrlr", "TxStopPoint"),
            ("OCPPCommCtrlr", "UnlockOnEVSideDisconnect"),
            ("SampledDataCtrlr", "TxStartedMeasurands"), ("SampledDataCtrlr", "TxUpdatedMeasurands"),
            ("SampledDataCtrlr", "TxUpdatedInterval"), ("SampledDataCtrlr", "TxEndedMeasurands"),
            ("SampledDataCtrlr", "TxEndedInterval"),
            ("AlignedDataCtrlr", "Measurands"), ("AlignedDataCtrlr", "Interval"), ("AlignedDataCtrlr", "TxEndedMeasurands"),
            ("AlignedDataCtrlr", "TxEndedInterval"), ("AlignedDataCtrlr", "SendDuringIdle"),
        ]
        return names.map { component, variable in
            .onSet(component, variable, validate: { key, value in TransactionSettings.problem(with: value, for: key) }) { station, _, _ in
                station.refreshTransactionSettings()
                return .applied
            }
        }
    }()
}
