// Block N: the variable monitors (N04) and when they trip (N07, N08). A value type with no I/O: the station hands it
// the current values and the time, and it answers with the events to notify.
public import OCPPMessages

/// One monitor on one variable's Actual value.
public struct VariableMonitor: Sendable, Hashable {
    public var id: Int
    /// The monitored variable (its Actual attribute).
    public var key: VariableAttributeKey
    public var type: MonitorEnumType
    public var value: Double
    /// 0 (Danger) to 9 (Debug); events are notified while it is at most the monitoring level (N05.FR.03).
    public var severity: Int
    public var transaction: Bool
    /// CustomMonitor (set by the CSMS), HardWiredMonitor (the station's own, cannot be changed or cleared).
    public var kind: EventNotificationEnumType
    /// A threshold monitor whose value is beyond its threshold (kept across a reboot, N07.FR.14).
    public var tripped = false
    /// Delta: the value at the last notice (or when set). Not kept across a reboot: the first look sets it.
    var reference: String?
    /// Periodic: when the next notice is due (station clock, seconds since 1970).
    var nextDue: Double?

    public init(
        id: Int, key: VariableAttributeKey, type: MonitorEnumType, value: Double, severity: Int, transaction: Bool = false,
        kind: EventNotificationEnumType = .customMonitor
    ) {
        self.id = id
        self.key = key
        self.type = type
        self.value = value
        self.severity = severity
        self.transaction = transaction
        self.kind = kind
    }
}

/// A monitor that tripped: what goes into a NotifyEvent's eventData.
public struct MonitorEvent: Sendable, Hashable {
    public var monitor: VariableMonitor
    public var trigger: EventTriggerEnumType
    public var actualValue: String
    public var cleared: Bool
}

public struct MonitorBook: Sendable {
    public private(set) var monitors: [Int: VariableMonitor] = [:]
    private var nextId = 1
    /// Ids from here on are not handed out (the station's hard-wired monitors).
    private let customIdsBelow: Int

    public init(_ monitors: [VariableMonitor] = [], customIdsBelow: Int = Int(Int32.max)) {
        self.customIdsBelow = customIdsBelow
        for monitor in monitors { self.monitors[monitor.id] = monitor }
        nextId = (monitors.map(\.id).filter { $0 < customIdsBelow }.max() ?? 0) + 1
    }

    private var lastEventId = 0

    /// Event ids: from the start time in seconds, one up per event, so they do not repeat across restarts unless the
    /// station notifies more than one event per second on average.
    public mutating func nextEventId(startingAt seed: Int) -> Int {
        if lastEventId == 0 { lastEventId = seed }
        lastEventId += 1
        return lastEventId
    }

    public var sorted: [VariableMonitor] { monitors.values.sorted { $0.id < $1.id } }

    /// A fresh id (N04.FR.11).
    public mutating func newId() -> Int {
        defer { nextId += 1 }
        return nextId
    }

    /// Adds or replaces a monitor; the state it had (tripped, delta reference) is kept for the same variable and type.
    public mutating func put(_ monitor: VariableMonitor) {
        var monitor = monitor
        if let old = monitors[monitor.id], old.type == monitor.type {
            monitor.tripped = old.tripped
            monitor.reference = old.reference
        }
        monitor.nextDue = nil
        monitors[monitor.id] = monitor
        if monitor.id < customIdsBelow { nextId = max(nextId, monitor.id + 1) }
    }

    @discardableResult
    public mutating func remove(_ id: Int) -> VariableMonitor? { monitors.removeValue(forKey: id) }

    /// Looks at every monitor: thresholds (N07.FR.16/17, cleared N07.FR.02), deltas (N07.FR.18/19), periodic ones
    /// that are due (N08.FR.06/07). `value` gives a variable's Actual value now; `now` is the station clock.
    public mutating func evaluate(now: Double, value: (VariableAttributeKey) -> String?) -> [MonitorEvent] {
        var events: [MonitorEvent] = []
        for id in monitors.keys.sorted() {
            guard var monitor = monitors[id], let current = value(monitor.key) else { continue }
            let number = Double(current)
            switch monitor.type {
            case .upperThreshold, .lowerThreshold:
                guard let number else { break }
                // "Notification is sent when exceeding the threshold, not on the threshold."
                let beyond = monitor.type == .upperThreshold ? number > monitor.value : number < monitor.value
                if beyond != monitor.tripped {
                    monitor.tripped = beyond
                    events.append(MonitorEvent(monitor: monitor, trigger: .alerting, actualValue: current, cleared: !beyond))
                }
            case .delta:
                guard let reference = monitor.reference else {
                    monitor.reference = current
                    break
                }
                let changed: Bool
                if let number, let base = Double(reference) {
                    changed = abs(number - base) > monitor.value
                } else {
                    changed = current != reference
                }
                if changed {
                    monitor.reference = current
                    events.append(MonitorEvent(monitor: monitor, trigger: .delta, actualValue: current, cleared: false))
                }
            case .periodic, .periodicClockAligned:
                let interval = max(1, monitor.value)
                guard let due = monitor.nextDue else {
                    monitor.nextDue = Self.next(after: now, interval: interval, aligned: monitor.type == .periodicClockAligned)
                    break
                }
                if now >= due {
                    monitor.nextDue = Self.next(after: now, interval: interval, aligned: monitor.type == .periodicClockAligned)
                    // N08.FR.05: Periodic and PeriodicClockAligned both report trigger Periodic.
                    events.append(MonitorEvent(monitor: monitor, trigger: .periodic, actualValue: current, cleared: false))
                }
            }
            monitors[id] = monitor
        }
        return events
    }

    /// When the earliest periodic monitor is due next, nil when none is.
    public var nextDue: Double? { monitors.values.compactMap(\.nextDue).min() }

    static func next(after now: Double, interval: Double, aligned: Bool) -> Double {
        // N08.FR.07: clock-aligned: at whole multiples of the interval (900: 0, 15, 30, 45 minutes past the hour).
        aligned ? ((now / interval).rounded(.down) + 1) * interval : now + interval
    }
}

extension VariableMonitor {
    /// As kept in the store: a SetMonitoringData with the kind and the tripped state beside it.
    var storedText: String {
        let data = SetMonitoringDataType(
            id: id, transaction: transaction, value: value, type: type, severity: severity, component: key.componentType,
            variable: key.variableType)
        return JSONValue.object(["kind": .string(kind.rawValue), "tripped": .bool(tripped), "monitor": data.toJSON()]).serialized()
    }

    init?(storedText: String) {
        guard let json = try? JSONParser.parse(storedText), let data = json["monitor"].flatMap({ try? SetMonitoringDataType(json: $0) }),
            let id = data.id
        else { return nil }
        self.init(
            id: id, key: VariableAttributeKey(data.component, data.variable, AttributeEnumType.actual.rawValue), type: data.type,
            value: data.value, severity: data.severity, transaction: data.transaction ?? false,
            kind: json["kind"]?.stringValue.flatMap(EventNotificationEnumType.init(rawValue:)) ?? .customMonitor)
        tripped = json["tripped"]?.boolValue ?? false
    }
}

extension VariableAttributeKey {
    var componentType: ComponentType {
        ComponentType(evse: evseId.map { EVSEType(id: $0, connectorId: connectorId) }, name: component, instance: componentInstance)
    }

    var variableType: VariableType { VariableType(name: variable, instance: variableInstance) }
}
