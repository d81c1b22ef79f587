// J01: clock-aligned meter values. During a transaction they go in a TransactionEvent (Updated, MeterValueClock)
// unless SendDuringIdle says to send them only when idle; outside a transaction, in a MeterValuesRequest. Those are
// sent when a connection is open and not queued: they are periodic readings, not billing events.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func alignedSample(_ settings: TransactionSettings) async {
        for evse in board.evses.map(\.id) {
            if engine.session(evse)?.transaction != nil {
                if !settings.alignedSendDuringIdle {
                    await step(evse) { $0.handle(.alignedSample, evse: evse, $1) }
                }
                continue
            }
            guard let rpc = session, boot.maySendUnprompted else { continue }
            await sendMeterValues(evse: evse, settings.alignedMeasurands, context: .sampleClock, rpc)
        }
    }

    /// A MeterValuesRequest for one EVSE with these measurands, if any are configured.
    func sendMeterValues(evse: Int, _ measurands: [MeasurandEnumType], context: ReadingContextEnumType, _ rpc: RPCSession) async {
        let step = await transactionContext(evse: evse)
        guard let value = MeterSampler.meterValue(step.reading, measurands: measurands, context: context, at: step.now) else { return }
        do {
            _ = try await rpc.call(MeterValuesRequest(evseId: evse, meterValue: [value]), timeout: messageTimeout)
        } catch {
            logger.warning("MeterValues for EVSE \(evse) failed: \(error)")
        }
    }
}
