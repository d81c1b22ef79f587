// The whole path from a GPIO input to the contactor line, through the real station: a pressed emergency stop on the
// fake chip -> the board's watcher thread -> HardwareEvent -> ChargingStation -> SafetyInterlock -> the contactor line.
// The figure is printed (no timed assertion: the machine is shared); the test checks that the contactor opens every
// time and closes again when the e-stop is released.
import Foundation
import Logging
import OCPPMessages
import OCPPStation
import Testing

@testable import OCPPStationHardware

struct FaultLatencyTests {
    struct Offline: CSMSTransport {
        func withConnection(
            _ profile: ConnectionProfile, _ session: @escaping @Sendable (CSMSConnection) async throws -> Void
        ) async throws {
            throw CancellationError()
        }
    }

    struct AcceptAll: IdTokenAuthorizer {
        func authorize(_ idToken: IdTokenType) async -> IdTokenInfoType? { IdTokenInfoType(status: .accepted) }
    }

    static let board = """
        { "name": "latency", "hal": "sim", "rfid": { "type": "sim" },
          "evses": [ { "id": 1, "maxCurrentA": 16, "connectors": [{ "id": 1, "type": "sType2" }], "meter": { "type": "sim" },
            "gpio": { "contactor": { "chip": "gpiochip0", "line": "K1" },
                      "emergencyStop": { "chip": "gpiochip0", "line": "ESTOP", "activeLow": true, "debounceMs": 0 } } } ] }
        """

    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(2)) }
        #expect(condition())
    }

    @Test(.timeLimit(.minutes(1))) func emergencyStopToContactorOpen() async throws {
        let temp = try HardwareTempDirectory()
        let directory = temp.path
        let chip = FakeGPIOChip()
        let configuration = try BoardConfiguration.parse(bytes: Array(Self.board.utf8), path: "latency.json")
        let board = try #require(try configuration.makeHardware(dataDirectory: directory, gpioDriver: chip) as? SimulatedBoard)
        let model = try DeviceModel.parse(
            try HardwareTestSupport.contents(of: HardwareTestSupport.repositoryRoot() + "/device-model.json"), file: "device-model.json")
        let station = ChargingStation(
            deviceModel: model, board: board, store: InMemoryStationStore(), outbox: InMemoryMessageOutbox(),
            transport: Offline(), authorizer: AcceptAll(), logger: .init(label: "latency"))
        chip.drive("ESTOP", physical: true)  // released (active-low, pulled up)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            group.addTask { try await board.run(station: station) }
            _ = try await board.core.perform(.plug(evse: 1, connector: 1))
            _ = try await board.core.perform(.tap(idToken: "CARD", type: .iso14443, evse: 1))
            _ = try await board.core.perform(.evCharge(evse: 1, watts: 7000))
            try await Self.waitUntil { chip.physical("K1") == true }

            var latencies: [Duration] = []
            for _ in 0..<20 {
                let pressed = ContinuousClock.now
                chip.drive("ESTOP", physical: false)
                try await Self.waitUntil { chip.physical("K1") == false }
                let opened = try #require(chip.writes("K1").last { !$0.active && $0.at >= pressed })
                latencies.append(opened.at - pressed)
                chip.drive("ESTOP", physical: true)
                try await Self.waitUntil { chip.physical("K1") == true }
            }
            latencies.sort()
            print("fault-to-contactor-open through the fake chip (e-stop, debounce 0): median \(latencies[latencies.count / 2]), max \(latencies.last!), n=\(latencies.count)")
            group.cancelAll()
        }
    }
}
