// The storage port. The SQLite backend lives in OCPPStationStorage; `InMemoryStationStore` serves tests and simulation.
internal import Synchronization

/// Identifies one attribute of one variable of one component in the device model.
public struct VariableAttributeKey: Sendable, Hashable, CustomStringConvertible {
    public var component: String
    public var componentInstance: String?
    public var evseId: Int?
    public var connectorId: Int?
    public var variable: String
    public var variableInstance: String?
    /// An OCPP `AttributeEnumType` value (Actual, Target, MinSet, MaxSet).
    public var attributeType: String

    public init(
        component: String, componentInstance: String? = nil, evseId: Int? = nil, connectorId: Int? = nil,
        variable: String, variableInstance: String? = nil, attributeType: String = "Actual"
    ) {
        self.component = component
        self.componentInstance = componentInstance
        self.evseId = evseId
        self.connectorId = connectorId
        self.variable = variable
        self.variableInstance = variableInstance
        self.attributeType = attributeType
    }

    public var description: String {
        var text = component
        if let componentInstance { text += "(\(componentInstance))" }
        if let evseId { text += "[evse \(evseId)" + (connectorId.map { " connector \($0)" } ?? "") + "]" }
        text += ".\(variable)"
        if let variableInstance { text += "(\(variableInstance))" }
        if attributeType != "Actual" { text += " \(attributeType)" }
        return text
    }
}

/// Durable station state. Every write is on disk when the call returns.
public protocol StationStore: Sendable {
    /// A small named value (boot reason after a reset, ...), nil when absent.
    func value(forKey key: String) async throws -> String?
    /// Writes (or with nil deletes) a named value.
    func setValue(_ value: String?, forKey key: String) async throws
    /// Device-model attribute values the CSMS changed (SetVariables on persistent variables).
    func variableValues() async throws -> [VariableAttributeKey: String]
    func setVariableValue(_ value: String, for key: VariableAttributeKey) async throws
    /// Several values in one commit (a SetVariables request), in order: all are on disk, or none.
    func setVariableValues(_ values: [(key: VariableAttributeKey, value: String)]) async throws
    /// The variable monitors (N07.FR.13), by id, each as the station's own text; the store does not read it.
    func monitors() async throws -> [Int: String]
    func saveMonitor(id: Int, _ text: String) async throws
    func removeMonitors(ids: [Int]) async throws
    /// Flushes and closes (SQLite: checkpoint, no WAL left behind). Later calls fail.
    func close() async throws
}

/// A `StationStore` in memory, for tests and for embedding without persistence.
public final class InMemoryStationStore: StationStore {
    private struct State {
        var values: [String: String] = [:]
        var variables: [VariableAttributeKey: String] = [:]
        var monitors: [Int: String] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func value(forKey key: String) async throws -> String? { state.withLock { $0.values[key] } }
    public func setValue(_ value: String?, forKey key: String) async throws { state.withLock { $0.values[key] = value } }
    public func variableValues() async throws -> [VariableAttributeKey: String] { state.withLock { $0.variables } }
    public func setVariableValue(_ value: String, for key: VariableAttributeKey) async throws {
        state.withLock { $0.variables[key] = value }
    }
    public func setVariableValues(_ values: [(key: VariableAttributeKey, value: String)]) async throws {
        state.withLock { state in for (key, value) in values { state.variables[key] = value } }
    }
    public func monitors() async throws -> [Int: String] { state.withLock { $0.monitors } }
    public func saveMonitor(id: Int, _ text: String) async throws { state.withLock { $0.monitors[id] = text } }
    public func removeMonitors(ids: [Int]) async throws {
        state.withLock { state in for id in ids { state.monitors[id] = nil } }
    }
    public func close() async throws {}
}
