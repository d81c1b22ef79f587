// G03/G04: the availability the CSMS set with ChangeAvailability, for the station, an EVSE or a connector, and the
// changes Scheduled until a transaction ends (G03.FR.05, G04.FR.06). Persisted (G03.FR.08, G04.FR.09, B11.FR.02):
// Unavailable survives a reboot. A value type; the station persists it after each change.
public import OCPPMessages

public struct OperationalState: Sendable, Hashable {
    /// What ChangeAvailability addresses: the station (nil evse), an EVSE, or one connector of an EVSE.
    public struct Target: Sendable, Hashable {
        public var evse: Int?
        public var connector: Int?

        public init(evse: Int? = nil, connector: Int? = nil) {
            self.evse = evse
            self.connector = connector
        }

        /// Whether this target covers the connector.
        func covers(evse other: Int, connector otherConnector: Int) -> Bool {
            guard let evse else { return true }
            return evse == other && (connector.map { $0 == otherConnector } ?? true)
        }
    }

    /// Only Inoperative targets are held: Operative is the default.
    public private(set) var inoperative: Set<Target> = []
    /// Changes waiting for the transactions on their target to end.
    public private(set) var scheduled: [Target: OperationalStatusEnumType] = [:]

    public init() {}

    public func status(of target: Target) -> OperationalStatusEnumType {
        inoperative.contains(target) ? .inoperative : .operative
    }

    /// G03.FR.06, G04.FR.07: a connector is Unavailable when it, its EVSE or the station is Inoperative.
    public func isOperative(evse: Int, connector: Int) -> Bool {
        !inoperative.contains { $0.covers(evse: evse, connector: connector) }
    }

    public func isOperative(evse: Int) -> Bool {
        !inoperative.contains { $0.evse == nil || ($0.evse == evse && $0.connector == nil) }
    }

    public mutating func set(_ status: OperationalStatusEnumType, for target: Target) {
        scheduled[target] = nil
        if status == .inoperative { inoperative.insert(target) } else { inoperative.remove(target) }
    }

    public mutating func schedule(_ status: OperationalStatusEnumType, for target: Target) {
        scheduled[target] = status
    }

    /// Applies the scheduled changes whose target no longer has a transaction; true when any was applied.
    public mutating func applyScheduled(busy: (Target) -> Bool) -> Bool {
        let due = scheduled.filter { !busy($0.key) }
        for (target, status) in due { set(status, for: target) }
        return !due.isEmpty
    }

    // MARK: Persistence

    public func toJSON() -> JSONValue {
        func target(_ t: Target) -> JSONObject {
            var o = JSONObject()
            o["evse"] = t.evse.map { .int(Int64($0)) }
            o["connector"] = t.connector.map { .int(Int64($0)) }
            return o
        }
        var o = JSONObject()
        o["inoperative"] = .array(inoperative.sorted { ($0.evse ?? 0, $0.connector ?? 0) < ($1.evse ?? 0, $1.connector ?? 0) }
            .map { JSONValue.object(target($0)) })
        o["scheduled"] = .array(scheduled.map { entry -> JSONValue in
            var item = target(entry.key)
            item["status"] = .string(entry.value.rawValue)
            return .object(item)
        })
        return .object(o)
    }

    public init(json: JSONValue) {
        func target(_ item: JSONValue) -> Target {
            Target(evse: item["evse"]?.intValue.map { Int($0) }, connector: item["connector"]?.intValue.map { Int($0) })
        }
        inoperative = Set((json["inoperative"]?.arrayValue ?? []).map(target))
        for item in json["scheduled"]?.arrayValue ?? [] {
            if let status = item["status"]?.stringValue.flatMap(OperationalStatusEnumType.init(rawValue:)) {
                scheduled[target(item)] = status
            }
        }
    }
}
