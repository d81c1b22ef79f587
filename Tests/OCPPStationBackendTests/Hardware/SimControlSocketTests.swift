// The sim board's control socket end to end: run(station:) in a task group, SimControlClient as the CLI uses it.
import Foundation
import Testing
import OCPPMessages
import OCPPStation
@testable import OCPPStationHardware

@Suite("Sim control socket")
struct SimControlSocketTests {
    static let station = HardwareFakeStationView([
        EVSEStationView(evse: 1, connectors: [.init(id: 1, status: "Available")]),
        EVSEStationView(evse: 2, connectors: [.init(id: 1, status: "Occupied")], transactionId: "tx-42"),
    ])

    @Test(.timeLimit(.minutes(1)))
    func commandsRepliesAndEvents() async throws {
        let dir = try HardwareTempDirectory()
        let board = try SimulatedBoard(configuration: try HardwareTestSupport.simBoard(), dataDirectory: dir.path)
        let data = dir.path
        var events = board.events.makeAsyncIterator()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await board.run(station: Self.station) }
            try await HardwareTestSupport.waitForSocket(data)

            func send(_ request: String) async throws -> String {
                try await HardwareTestSupport.send(request, data)
            }
            func command(
                _ name: String, evse: Int? = nil, kind: String? = nil, idToken: String? = nil, type: String? = nil,
                watts: Double? = nil, connector: Int? = nil
            ) async throws -> String {
                try await send(
                    SimControlClient.request(
                        command: name, evse: evse, kind: kind, idToken: idToken, type: type, watts: watts, connector: connector))
            }

            // status, before anything happened
            #expect(
                try await command("status")
                    == #"{"ok":true,"evses":[{"evse":1,"connectors":[{"connector":1,"status":"Available"}],"transactionId":null,"energyWh":0,"powerW":0,"limitA":32,"contactorClosed":false,"locked":false,"plugged":false,"evCharging":false,"faults":[]},{"evse":2,"connectors":[{"connector":1,"status":"Occupied"}],"transactionId":"tx-42","energyWh":0,"powerW":0,"limitA":32,"contactorClosed":false,"locked":false,"plugged":false,"evCharging":false,"faults":[]}]}"#
            )

            // plug
            #expect(try await command("plug", evse: 1) == #"{"ok":true}"#)
            #expect(await events.next() == .cablePlugged(evse: 1, connector: 1))
            #expect(try await command("plug", evse: 1) == #"{"ok":false,"error":"EVSE 1 connector 1 is already plugged"}"#)
            #expect(
                try await command("plug", evse: 1, connector: 2)
                    == #"{"ok":false,"error":"EVSE 1 has no connector 2 (it has connector 1)"}"#)

            // the EV
            #expect(
                try await command("ev-charge", evse: 2) == #"{"ok":false,"error":"EVSE 2: no cable is plugged"}"#)
            #expect(try await command("ev-charge", evse: 1) == #"{"ok":true,"powerW":7400}"#)
            #expect(await events.next() == .evCharging(evse: 1))
            #expect(try await command("power", evse: 1, watts: 11000) == #"{"ok":true,"powerW":11000}"#)
            #expect(await events.next() == .powerChanged(evse: 1, watts: 11000))
            #expect(try await command("ev-suspend", evse: 1) == #"{"ok":true}"#)
            #expect(await events.next() == .evSuspended(evse: 1))

            // tokens
            #expect(try await command("tap", idToken: "04A2B3C4") == #"{"ok":true}"#)
            #expect(await events.next() == .tokenPresented(idToken: "04A2B3C4", type: .iso14443, evse: nil))
            #expect(try await command("tap", evse: 2, idToken: "K1", type: "KeyCode") == #"{"ok":true}"#)
            #expect(await events.next() == .tokenPresented(idToken: "K1", type: .keyCode, evse: 2))
            #expect(
                try await command("tap", idToken: String(repeating: "A", count: 37))
                    == #"{"ok":false,"error":"idToken: must be 1 to 36 characters, got 37"}"#)

            // faults
            #expect(try await command("fault", evse: 2, kind: "ground-fault") == #"{"ok":true}"#)
            #expect(await events.next() == .faultRaised(evse: 2, fault: .groundFault))
            #expect(
                try await command("fault", evse: 2, kind: "fire")
                    == #"{"ok":false,"error":"kind: \"fire\" is not a fault kind (ground-fault, overcurrent, meter-lost, emergency-stop, welded-contactor, lock-failure)"}"#)

            // status shows the physical state and the station's view
            let status = try await command("status")
            #expect(status.contains(#""evse":1,"connectors":[{"connector":1,"status":"Available"}],"transactionId":null,"energyWh":0,"powerW":0,"limitA":32,"contactorClosed":false,"locked":false,"plugged":true,"evCharging":false,"faults":[]"#))
            #expect(status.contains(#""faults":["ground-fault"]"#))

            #expect(try await command("clear-fault", evse: 2) == #"{"ok":true}"#)
            #expect(await events.next() == .faultsCleared(evse: 2))
            #expect(try await command("clear-fault", evse: 2) == #"{"ok":false,"error":"EVSE 2 has no active fault"}"#)

            // unplug stops the EV
            #expect(try await command("ev-charge", evse: 1) == #"{"ok":true,"powerW":11000}"#)
            #expect(await events.next() == .evCharging(evse: 1))
            #expect(try await command("unplug", evse: 1) == #"{"ok":true}"#)
            #expect(await events.next() == .cableUnplugged(evse: 1, connector: 1))
            #expect(await board.physicalState()[0].powerW == 0)
            #expect(await board.physicalState()[0].evCharging == false)
            #expect(try await command("unplug", evse: 1) == #"{"ok":false,"error":"EVSE 1 has no plugged connector"}"#)

            // bad requests
            let bad: [(String, String)] = [
                ("not json", #"invalid JSON at line 1, column 1: invalid literal"#),
                ("[1]", "expected a JSON object at the top level, got an array"),
                (#"{"evse":1}"#, "cmd: required field is missing"),
                (#"{"cmd":"jump"}"#, #"unknown cmd \"jump\" (known: plug, unplug, ev-charge, ev-suspend, tap, power, fault, clear-fault, status)"#),
                (#"{"cmd":"plug"}"#, "evse: required for plug"),
                (#"{"cmd":"plug","evse":"1"}"#, "evse: expected an integer, got a string"),
                (#"{"cmd":"plug","evse":0}"#, "evse: must be 1 or more, got 0"),
                (#"{"cmd":"plug","evse":3}"#, "EVSE 3 does not exist (this board has EVSEs 1..2)"),
                (#"{"cmd":"plug","evse":1,"force":true}"#, "force: unknown key (expected one of: cmd, evse, connector)"),
                (#"{"cmd":"power","evse":1}"#, "watts: required for power"),
                (#"{"cmd":"power","evse":1,"watts":-5}"#, "watts: must be 0 or more, got -5"),
                (#"{"cmd":"tap"}"#, "idToken: required field is missing"),
                (#"{"cmd":"tap","idToken":"A","type":"Magic"}"#, #"type: \"Magic\" is not an IdTokenEnumType value (Central, eMAID, ISO14443, ISO15693, KeyCode, Local, MacAddress, NoAuthorization)"#),
            ]
            for (request, error) in bad {
                #expect(try await send(request) == #"{"ok":false,"error":"# + "\"\(error)\"}", "\(request)")
            }

            // several requests on one connection, blank lines ignored, CRLF accepted
            let replies = try await HardwareTestSupport.offPool {
                let connection = try SimRawControlConnection(dataDirectory: data)
                connection.write("{\"cmd\":\"plug\",\"evse\":2}\r\n\n{\"cmd\":\"bogus\"}\n{\"cmd\":\"unplug\",\"evse\":2}\n")
                return [connection.readLine(), connection.readLine(), connection.readLine()]
            }
            #expect(replies == [#"{"ok":true}"#, #"{"ok":false,"error":"unknown cmd \"bogus\" (known: plug, unplug, ev-charge, ev-suspend, tap, power, fault, clear-fault, status)"}"#, #"{"ok":true}"#])
            #expect(await events.next() == .cablePlugged(evse: 2, connector: 1))
            #expect(await events.next() == .cableUnplugged(evse: 2, connector: 1))

            // a line longer than 64 KiB: an error reply, then the connection is closed
            let tooLong = try await HardwareTestSupport.offPool {
                let connection = try SimRawControlConnection(dataDirectory: data)
                connection.write(Array(repeating: UInt8(ascii: "a"), count: 70 * 1024))
                return [connection.readLine(), connection.readLine()]
            }
            #expect(tooLong == [#"{"ok":false,"error":"request line longer than 65536 bytes; closing the connection"}"#, nil])

            // a connection that goes away without reading its reply, and several connections at once
            try await HardwareTestSupport.offPool {
                let connection = try SimRawControlConnection(dataDirectory: data)
                connection.write("{\"cmd\":\"status\"}\n{\"cmd\":\"status\"}\n")
            }
            let held = try await HardwareTestSupport.offPool { try SimRawControlConnection(dataDirectory: data) }  // idle while others talk
            try await withThrowingTaskGroup(of: String.self) { clients in
                for _ in 0..<8 { clients.addTask { try await HardwareTestSupport.send(#"{"cmd":"status"}"#, data) } }
                for try await reply in clients { #expect(reply.hasPrefix(#"{"ok":true,"evses":["#)) }
            }

            // still serving, and the state file holds what happened
            #expect(try await command("fault", evse: 1, kind: "emergency-stop") == #"{"ok":true}"#)
            #expect(await events.next() == .faultRaised(evse: 1, fault: .emergencyStop))

            group.cancelAll()
            try await group.waitForAll()
            _ = held
        }

        #expect(POSIXFiles.kind(path: dir.file("sim.sock")) == .missing)
        #expect(try HardwareTestSupport.listing(dir.path) == ["sim-board.json"])
        #expect(try HardwareTestSupport.contents(of: dir.file("sim-board.json")).contains(#""faults":["emergency-stop"]"#))
        do {
            _ = try SimControlClient.send(request: #"{"cmd":"status"}"#, dataDirectory: dir.path)
            Issue.record("sent to a stopped agent")
        } catch {
            #expect(error.description == "no station agent is running with --data-dir \(dir.path) (\(dir.path)/sim.sock not found)")
        }
    }

    @Test func clientErrorsWithoutAnAgent() throws {
        let dir = try HardwareTempDirectory()
        #expect(throws: SimControlError("no station agent is running with --data-dir \(dir.path) (\(dir.path)/sim.sock not found)")) {
            try SimControlClient.send(request: #"{"cmd":"status"}"#, dataDirectory: dir.path)
        }
        // A socket file nobody listens on (an agent that was killed).
        try HardwareTestSupport.makeStaleSocket(dir.file("sim.sock"))
        #expect(throws: SimControlError("no station agent is running with --data-dir \(dir.path) (\(dir.path)/sim.sock refuses connections)")) {
            try SimControlClient.send(request: #"{"cmd":"status"}"#, dataDirectory: dir.path)
        }
    }

    @Test func requestLines() {
        #expect(SimControlClient.request(command: "plug", evse: 1) == #"{"cmd":"plug","evse":1}"#)
        #expect(SimControlClient.request(command: "status", evse: nil, kind: nil, idToken: nil, type: nil, watts: nil) == #"{"cmd":"status"}"#)
        #expect(
            SimControlClient.request(command: "tap", evse: 2, idToken: "AB\"C", type: "ISO15693")
                == #"{"cmd":"tap","evse":2,"idToken":"AB\"C","type":"ISO15693"}"#)
        #expect(SimControlClient.request(command: "power", evse: 1, watts: 3680.5) == #"{"cmd":"power","evse":1,"watts":3680.5}"#)
        #expect(SimControlClient.request(command: "fault", evse: 1, kind: "meter-lost") == #"{"cmd":"fault","evse":1,"kind":"meter-lost"}"#)
    }

    @Test(.timeLimit(.minutes(1)))
    func secondAgentOnTheSameDataDirectoryIsRefused() async throws {
        let dir = try HardwareTempDirectory()
        let configuration = try HardwareTestSupport.simBoard()
        let first = try SimulatedBoard(configuration: configuration, dataDirectory: dir.path)
        let second = try SimulatedBoard(configuration: configuration, dataDirectory: dir.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.run(station: Self.station) }
            try await HardwareTestSupport.waitForSocket(dir.path)
            await #expect(throws: SimulatedBoardError("another process is already serving \(dir.path)/sim.sock: is a station agent already running with this data directory?")) {
                try await second.run(station: Self.station)
            }
            #expect(try await HardwareTestSupport.send(#"{"cmd":"plug","evse":1}"#, dir.path) == #"{"ok":true}"#)
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(POSIXFiles.kind(path: dir.file("sim.sock")) == .missing)
    }

    @Test(.timeLimit(.minutes(1)))
    func staleSocketFileIsReplaced() async throws {
        let dir = try HardwareTempDirectory()
        let board = try SimulatedBoard(configuration: try HardwareTestSupport.simBoard(), dataDirectory: dir.path)
        // The socket of an agent that was killed: the file is there, nobody listens.
        try HardwareTestSupport.makeStaleSocket(dir.file("sim.sock"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await board.run(station: Self.station) }
            try await HardwareTestSupport.waitForSocket(dir.path)
            #expect(try await HardwareTestSupport.send(#"{"cmd":"status"}"#, dir.path).hasPrefix(#"{"ok":true"#))
            group.cancelAll()
        }
        // The stale socket is gone; an idle board that never changed has nothing to save.
        #expect(try HardwareTestSupport.listing(dir.path) == [])
    }

    /// Cancelling right after connections were accepted (not yet served) must neither trap nor hang.
    @Test(.timeLimit(.minutes(1)))
    func cancelWhileConnectionsArePending() async throws {
        let dir = try HardwareTempDirectory()
        let board = try SimulatedBoard(configuration: try HardwareTestSupport.simBoard(), dataDirectory: dir.path)
        for _ in 0..<5 {
            let connections = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await board.run(station: Self.station) }
                try await HardwareTestSupport.waitForSocket(dir.path)
                let connections = try (0..<32).map { _ in try SimRawControlConnection(dataDirectory: dir.path) }
                for connection in connections { connection.write("{\"cmd\":\"status\"}\n") }
                group.cancelAll()
                try await group.waitForAll()
                return connections
            }
            #expect(POSIXFiles.kind(path: dir.file("sim.sock")) == .missing)
            _ = connections
        }
    }
}
