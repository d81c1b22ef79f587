import Logging
import OCPPMessages
import Testing

@testable import OCPPStation

/// P01/P02: the embedding firmware's DataTransfer handlers, through the whole station over the loopback CSMS.
struct DataTransferTests {
    let scenario = StationScenarioTests()

    @Test(.timeLimit(.minutes(1))) func aRegisteredVendorAnswersAndAnUnknownOneIsUnknownVendorId() async throws {
        let csms = LoopbackCSMS()
        let station = try scenario.makeStation(csms, FakeBoard())
        await station.setDataTransferHandler(vendorId: "com.example.acme") { request in
            request.messageId == "Ping"
                ? DataTransferResponse(status: .accepted, data: .string("Pong"))
                : DataTransferResponse(status: .unknownMessageId)  // P01.FR.06
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = await station.run() }
            var reader = FrameReader(csms)
            try await scenario.acceptBoot(&reader, csms)
            csms.send("[2,\"d1\",\"DataTransfer\",{\"vendorId\":\"com.example.acme\",\"messageId\":\"Ping\"}]")
            guard case .callResult("d1", let pong) = try await reader.next() else { throw TestFailure("no DataTransfer result") }
            #expect(pong["status"] == .string("Accepted") && pong["data"] == .string("Pong"))
            csms.send("[2,\"d2\",\"DataTransfer\",{\"vendorId\":\"com.example.acme\",\"messageId\":\"Other\"}]")
            guard case .callResult("d2", let other) = try await reader.next() else { throw TestFailure("no DataTransfer result") }
            #expect(other["status"] == .string("UnknownMessageId"))
            // P01.FR.05: a CALLRESULT, not a CALLERROR.
            csms.send("[2,\"d3\",\"DataTransfer\",{\"vendorId\":\"org.nobody\"}]")
            guard case .callResult("d3", let unknown) = try await reader.next() else { throw TestFailure("no DataTransfer result") }
            #expect(unknown["status"] == .string("UnknownVendorId"))
            // P02: the firmware's DataTransfer to the CSMS, answered.
            async let answer = station.sendDataTransfer(DataTransferRequest(messageId: "Hello", vendorId: "com.example.acme"))
            let call = try await reader.nextCall()
            #expect(call.action == "DataTransfer" && call.payload.objectValue?["vendorId"] == .string("com.example.acme"))
            var payload = JSONObject()
            payload["status"] = .string("Accepted")
            csms.send(scenario.ack(call.id, .object(payload)))
            #expect(try await answer.status == .accepted)
            group.cancelAll()
        }
    }
}
