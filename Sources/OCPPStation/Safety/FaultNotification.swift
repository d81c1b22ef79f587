// N07/G05: NotifyEvent for the hardware's faults, as hardwired notifications: `true` on the failed component's
// variable (RCD.Tripped, EmergencyStopSensor.Active, PowerContactor.Problem, ConnectorPlugRetentionLock.Problem
// (G05.FR.02), ...) when the fault is raised, `false` with cleared=true when its condition is gone. Queued in the
// durable outbox like security events: a trip that happened offline, or just before a crash, still reaches the CSMS,
// in order, after BootNotification Accepted.
internal import OCPPMessages

/// The event that raised each active fault, for the clearing event's `cause`. Event ids themselves come from the
/// station's one allocator (Monitoring/NotifyEvent.swift), shared with the monitors.
struct FaultEventCauses: Sendable, Hashable {
    private var raised: [String: Int] = [:]

    mutating func raised(_ key: String, eventId: Int) {
        raised[key] = eventId
    }

    mutating func cleared(_ key: String) -> Int? {
        raised.removeValue(forKey: key)
    }
}

extension ChargingStation {
    func queueFaultEvent(evse: Int, fault: HardwareFault, active: Bool) async {
        let key = "\(evse)/\(fault.rawValue)"
        let eventId = nextEventId()
        var cause: Int?
        if active { faultEventCauses.raised(key, eventId: eventId) } else { cause = faultEventCauses.cleared(key) }
        // The plug lock is a connector's component; the protective devices are the EVSE's.
        let connector =
            fault.component == HardwareFault.lockFailure.component
            ? physical[evse]?.connectors.first(where: \.plugged)?.id ?? 1 : nil
        let time = now()
        let data = EventDataType(
            eventId: eventId, timestamp: time, trigger: .alerting, cause: cause, actualValue: active ? "true" : "false",
            cleared: active ? nil : true, transactionId: engine.session(evse)?.transaction?.id,
            component: ComponentType(evse: EVSEType(id: evse, connectorId: connector), name: fault.component),
            eventNotificationType: .hardWiredNotification, variable: VariableType(name: fault.variable))
        let request = NotifyEventRequest(generatedAt: time, seqNo: 0, eventData: [data])
        await queue(NewOutboxMessage(action: OCPPAction.notifyEvent.rawValue, payload: request.toJSON().serialized()))
    }
}
