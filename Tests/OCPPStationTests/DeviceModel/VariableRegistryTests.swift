import Logging
import OCPPMessages
import Synchronization
import Testing

@testable import OCPPStation

/// The embedding API: a manufacturer's component registered in code, with a validator, an effect and a live value,
/// seen by GetVariables, SetVariables and reports alike.
struct VariableRegistryTests {
    func makeStation() throws -> ChargingStation {
        let model = try DeviceModel.parse(DeviceModelTests.sample, file: "dm.json")
        return ChargingStation(
            deviceModel: model, board: FakeBoard(), store: InMemoryStationStore(), outbox: InMemoryMessageOutbox(),
            transport: LoopbackCSMS(), logger: Logger(label: "test"))
    }

    static let fan = DeviceModel.Component(
        name: "FanCtrlr",
        variables: [
            .init(
                name: "Speed",
                attributes: [.init(value: "50", mutability: .readWrite, persistent: true)],
                characteristics: .init(dataType: .integer, unit: "Percent", minLimit: 0, maxLimit: 100)),
            .init(
                name: "Mode",
                attributes: [.init(value: "Auto", mutability: .readWrite, persistent: true)],
                characteristics: .init(dataType: .optionList, valuesList: "Auto,Quiet,Boost")),
            .init(
                name: "Temperature",
                attributes: [.init(value: "", mutability: .readOnly)],
                characteristics: .init(dataType: .decimal, unit: "Celsius")),
        ])

    func setRequest(_ items: [(String, String)]) -> SetVariablesRequest {
        SetVariablesRequest(setVariableData: items.map {
            SetVariableDataType(attributeValue: $0.1, component: ComponentType(name: "FanCtrlr"), variable: VariableType(name: $0.0))
        })
    }

    @Test func registeredVariablesTakeEffectValidateAndReadLive() async throws {
        let station = try makeStation()
        let applied = Mutex<[String]>([])
        try await station.register(
            Self.fan,
            validate: { key, value in key.variable == "Speed" && value == "13" ? "13 is unlucky" : nil },
            onSet: { key, value in
                applied.withLock { $0.append("\(key.variable)=\(value)") }
                return key.variable == "Mode" ? .rebootRequired : .applied
            },
            live: { key in key.variable == "Temperature" ? "41.5" : nil })
        let response = try await station.setVariables(setRequest([("Speed", "80"), ("Mode", "Boost"), ("Speed", "13"), ("Speed", "101"), ("Temperature", "3")]))
        #expect(response.setVariableResult.map(\.attributeStatus) == [.accepted, .rebootRequired, .rejected, .rejected, .rejected])
        #expect(response.setVariableResult[2].attributeStatusInfo?.additionalInfo == "13 is unlucky")
        #expect(response.setVariableResult[3].attributeStatusInfo?.reasonCode == "ValueTooHigh")
        #expect(applied.withLock { $0 } == ["Speed=80", "Mode=Boost"])
        let get = try await station.getVariables(GetVariablesRequest(getVariableData: ["Speed", "Temperature"].map {
            GetVariableDataType(component: ComponentType(name: "FanCtrlr"), variable: VariableType(name: $0))
        }))
        #expect(get.getVariableResult.map(\.attributeValue) == ["80", "41.5"])
    }

    /// A backend follows a variable of the file (WebSocketPingInterval for the transport) through `onSet`; the
    /// station's own effect for it is replaced, its validation is not bypassed.
    @Test func codeOutsideTheBlocksIsToldOfASet() async throws {
        let station = try makeStation()
        let seen = Mutex<[String]>([])
        await station.onSet("OCPPCommCtrlr", "HeartbeatInterval") { key, value in
            seen.withLock { $0.append(value) }
            return .rebootRequired
        }
        let request = SetVariablesRequest(setVariableData: ["20", "0"].map {
            SetVariableDataType(attributeValue: $0, component: ComponentType(name: "OCPPCommCtrlr"), variable: VariableType(name: "HeartbeatInterval"))
        })
        let response = try await station.setVariables(request)
        #expect(response.setVariableResult.map(\.attributeStatus) == [.rebootRequired, .rejected])
        #expect(seen.withLock { $0 } == ["20"])
    }

    @Test func aRegisteredValueOutsideItsLimitsIsRefused() async throws {
        let station = try makeStation()
        var bad = Self.fan
        bad.variables[0].attributes[0].value = "150"
        await #expect(throws: DeviceModelError.self) { try await station.register(bad) }
    }

    @Test func reportPagesCountFromZeroAndMarkContinuation() async throws {
        let station = try makeStation()
        let pages = await station.notifyReportPages(
            requestId: 3,
            Array(repeating: ReportDataType(component: ComponentType(name: "A"), variable: VariableType(name: "B"), variableAttribute: [VariableAttributeType(value: "1")]), count: 60))
        #expect(pages.map(\.seqNo) == [0, 1, 2])
        #expect(pages.map { $0.tbc ?? false } == [true, true, false])
        #expect(pages.map { $0.reportData?.count ?? 0 } == [25, 25, 10])
        #expect(pages.allSatisfy { $0.requestId == 3 })
    }
}

/// EVSE and Connector components come from the board where the file has none; the file's own are kept.
struct BoardComponentsTests {
    @Test func missingEVSEsAndConnectorsAreGeneratedFromTheBoard() throws {
        var model = try DeviceModel.parse(DeviceModelTests.sample, file: "dm.json")  // has Connector 1/1 only
        model.addBoardComponents([
            .init(id: 1, maxPowerW: 22080, connectors: [.init(id: 1, type: "cType2")]),
            .init(id: 2, maxPowerW: 11040, connectors: [.init(id: 1, type: "cCCS2"), .init(id: 2, type: "cType2")]),
        ])
        #expect(model.string("Connector", "AvailabilityState") == nil)  // addressed by EVSE: below
        let connector = { (evse: Int, id: Int, variable: String) in
            model.value(VariableAttributeKey(component: "Connector", evseId: evse, connectorId: id, variable: variable))
        }
        #expect(connector(2, 1, "ConnectorType") == "cCCS2")
        #expect(connector(2, 2, "ConnectorType") == "cType2")
        // The file's Connector 1/1 is kept as it was (its valuesList has no Reserved).
        let kept = model.characteristics(of: VariableAttributeKey(component: "Connector", evseId: 1, connectorId: 1, variable: "AvailabilityState"))
        #expect(kept?.valuesList == "Available,Occupied,Faulted")
        let power = model.characteristics(of: VariableAttributeKey(component: "EVSE", evseId: 2, variable: "Power"))
        #expect(power?.maxLimit == 11040 && power?.dataType == .decimal)
        #expect(model.components.filter { $0.name == "EVSE" }.count == 2)
    }
}
