// N07/N08: a monitor trips -> NotifyEvent. Monitors are looked at after every input the station processes (hardware
// events: power, faults, cables), after every SetVariables and SetVariableMonitoring, and when a periodic one is due,
// so they see the values the station changes itself as well as the CSMS's. Events go through the durable outbox:
// queued while offline and delivered once back (N07.FR.04, N08.FR.03, for every severity).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    /// Loads the stored monitors and adds the hard-wired ones: a Delta monitor on each EVSE's Problem (a fault raised
    /// or cleared), severity 1 (hardware failure).
    func loadMonitors() async {
        var monitors: [VariableMonitor] = []
        do {
            for (id, text) in try await store.monitors() {
                if let monitor = VariableMonitor(storedText: text), monitor.id == id { monitors.append(monitor) }
            }
        } catch {
            logger.error("cannot read the monitors: \(error)")
        }
        for (index, evse) in board.evses.enumerated() {
            let key = VariableAttributeKey(component: "EVSE", evseId: evse.id, variable: "Problem")
            guard deviceModel.value(key) != nil else { continue }
            monitors.append(
                VariableMonitor(id: Self.hardWiredMonitorIds + index, key: key, type: .delta, value: 1, severity: 1, kind: .hardWiredMonitor))
        }
        monitoring = MonitorBook(monitors, customIdsBelow: Self.hardWiredMonitorIds)
        await restoreKeptVariables()
        await evaluateMonitors()
    }

    /// Looks at every monitor and notifies what tripped.
    func evaluateMonitors() async {
        let before = monitoring.monitors
        let events = monitoring.evaluate(now: now().secondsSince1970) { key in
            guard case .found(let attribute, _) = deviceModel.lookup(key) else { return nil }
            // N07.FR.10: a WriteOnly variable's value is not shown.
            return attribute.mutability == .writeOnly ? "" : currentValue(key, stored: attribute.value)
        }
        // A threshold's tripped state survives a reboot (N07.FR.14).
        for monitor in monitoring.monitors.values where before[monitor.id]?.tripped != monitor.tripped && monitor.kind == .customMonitor {
            try? await store.saveMonitor(id: monitor.id, monitor.storedText)
        }
        let level = monitoringLevel
        let notified = events.filter { $0.monitor.severity <= level }  // N05.FR.03, N07.FR.15
        guard !notified.isEmpty else { return }
        let timestamp = now()
        let data = notified.map { event in
            EventDataType(
                eventId: nextEventId(), timestamp: timestamp, trigger: event.trigger, actualValue: reportable(event.actualValue),
                cleared: event.cleared ? true : nil, component: event.monitor.key.componentType,
                variableMonitoringId: event.monitor.id,  // N07.FR.06
                eventNotificationType: event.monitor.kind, variable: event.monitor.key.variableType)
        }
        for event in notified {
            logger.info("monitor \(event.monitor.id) on \(event.monitor.key): \(event.trigger.rawValue) \(event.actualValue)\(event.cleared ? " (cleared)" : "")")
        }
        // N07.FR.07, N08.FR.04: one message, seqNo 0.
        let request = NotifyEventRequest(generatedAt: timestamp, seqNo: 0, eventData: data)
        await queue(NewOutboxMessage(action: OCPPAction.notifyEvent.rawValue, payload: request.toJSON().serialized()))
    }

    func nextEventId() -> Int {
        monitoring.nextEventId(startingAt: Int(wallClock.systemSecondsSince1970()) % 1_000_000_000)
    }

    /// Wakes for the next periodic monitor (N08.FR.06/07); woken early when monitors change.
    func monitorTimer() async {
        while !Task.isCancelled {
            let wait = monitoring.nextDue.map { max(0.001, $0 - now().secondsSince1970) } ?? 3600
            let wakeup = monitorWakeup
            await wakeup.wait(until: ContinuousClock.now + .milliseconds(Int64(wait * 1000)))
            if Task.isCancelled { return }
            await evaluateMonitors()
        }
    }
}
