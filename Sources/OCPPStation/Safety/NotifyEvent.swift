// N07/G05: NotifyEvent for the hardware's faults, as hardwired notifications: `true` on the failed component's
// variable (RCD.Tripped, EmergencyStopSensor.Active, PowerContactor.Problem, ConnectorPlugRetentionLock.Problem
// (G05.FR.02), ...) when the fault is raised, `false` with cleared=true when its condition is gone. Queued in the
// durable outbox like security events: a trip that happened offline, or just before a crash, still reaches the CSMS,
// in order, after BootNotification Accepted.
internal import OCPPMessages

/// Event ids for the station's NotifyEvents. Seeded from the clock so that ids are not reused after a restart
/// (the CSMS may refer to one as a `cause`), then counted up.
struct NotifyEventIds: Sendable, Hashable {
    private var next: Int
    /// The event that raised each active fault, for the clearing event's `cause`.
    private var raised: [String: Int] = [:]

    init(secondsSince1970: Double) {
        // Seconds since 2020: below 2^31 (what CSMSs store) until 2088, and ahead of the ids of a run that raised
        // fewer events than it lasted seconds.
        next = max(1, Int(secondsSince1970 - 1_577_836_800))
    }

    mutating func raise(_ key: String) -> Int {
        let id = allocate()
        raised[key] = id
        return id
    }

    mutating func clear(_ key: String) -> (id: Int, cause: Int?) {
        (allocate(), raised.removeValue(forKey: key))
    }

    private mutating func allocate() -> Int {
        defer { next = next == Int(Int32.max) ? 1 : next + 1 }
        return next
    }
}

extension ChargingStation {
    func queueFaultEvent(evse: Int, fault: HardwareFault, active: Bool) async {
        let key = "\(evse)/\(fault.rawValue)"
        let (eventId, cause) = active ? (notifyEventIds.raise(key), nil) : notifyEventIds.clear(key)
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
