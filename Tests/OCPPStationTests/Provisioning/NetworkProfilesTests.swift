import OCPPMessages
import Testing

@testable import OCPPStation

struct NetworkProfilesTests {
    func profile(_ securityProfile: Int, _ url: String = "wss://csms.example.net/ocpp") -> NetworkConnectionProfileType {
        NetworkConnectionProfileType(
            ocppVersion: .ocpp20, ocppTransport: .json, ocppCsmsUrl: url, messageTimeout: 30,
            securityProfile: securityProfile, ocppInterface: .wired0)
    }

    func noURLProblem(_ url: String, _ profile: Int) -> String? { nil }

    @Test func fallsBackAfterTheConfiguredAttempts() {
        // B10.FR.03: NetworkProfileConnectionAttempts per entry of NetworkConfigurationPriority, then the next.
        var profiles = NetworkProfiles(activeSecurityProfile: 2)
        profiles.store(profile(2), slot: 1)
        profiles.store(profile(2, "wss://backup.example.net/ocpp"), slot: 2)
        profiles.setPriority([1, 2])
        profiles.attemptsPerProfile = 2
        #expect(profiles.current()?.slot == 1)
        profiles.attemptFailed()
        #expect(profiles.current()?.slot == 1)
        profiles.attemptFailed()
        #expect(profiles.current()?.slot == 2)
        #expect(profiles.connected() == [])
        profiles.registeredSlot = 1
        // Errata B10.FR.10: connected through another profile than the accepted one.
        #expect(profiles.switchedSinceRegistration)
        profiles.attemptFailed()
        profiles.attemptFailed()
        #expect(profiles.current()?.slot == 1)  // round again
    }

    @Test func priorityWithoutStoredProfilesUsesTheStoredSlots() {
        var profiles = NetworkProfiles()
        profiles.store(profile(1, "ws://a/ocpp"), slot: 3)
        profiles.setPriority([1])
        #expect(profiles.current()?.slot == 3)
    }

    @Test func neverDowngrade() {
        // B09.FR.04 (errata): a lower securityProfile than the active one is Rejected.
        let profiles = NetworkProfiles(activeSecurityProfile: 2)
        #expect(profiles.refusal(of: profile(1, "ws://a/ocpp"), slot: 2, allowedSlots: [1, 2], urlProblem: noURLProblem)?.reasonCode
            == "NoSecurityDowngrade")
        #expect(profiles.refusal(of: profile(3), slot: 2, allowedSlots: [1, 2], urlProblem: noURLProblem) == nil)
        // B09.FR.05
        #expect(profiles.refusal(of: profile(3), slot: 4, allowedSlots: [1, 2], urlProblem: noURLProblem)?.reasonCode
            == "InvalidConfSlot")
        // B09.FR.02: profile 0 is a development mode, not a profile a message can choose.
        #expect(profiles.refusal(of: profile(0, "ws://a/ocpp"), slot: 1, allowedSlots: nil, urlProblem: noURLProblem)?.reasonCode
            == "InvalidNetworkConf")
    }

    @Test func priorityRules() {
        var profiles = NetworkProfiles(activeSecurityProfile: 2)
        profiles.store(profile(1, "ws://a/ocpp"), slot: 1)
        profiles.store(profile(2), slot: 2)
        profiles.store(profile(3), slot: 3)
        // Errata A05.FR.10: a slot below the active security profile.
        #expect(profiles.refusal(ofPriority: [2, 1], hasCSMSRoot: true, hasStationCertificate: true) != nil)
        // A05.FR.02: profile 3 without a station certificate; A05.FR.03: 2 or 3 without a CSMS root.
        #expect(profiles.refusal(ofPriority: [3], hasCSMSRoot: true, hasStationCertificate: false) != nil)
        #expect(profiles.refusal(ofPriority: [2], hasCSMSRoot: false, hasStationCertificate: true) != nil)
        #expect(profiles.refusal(ofPriority: [3, 2], hasCSMSRoot: true, hasStationCertificate: true) == nil)
        #expect(profiles.refusal(ofPriority: [4], hasCSMSRoot: true, hasStationCertificate: true) != nil)
    }

    @Test func upgradeRemovesLowerSlots() {
        // A05.FR.06: after connecting with a higher security profile, the lower-profile slots are removed.
        var profiles = NetworkProfiles(activeSecurityProfile: 1)
        profiles.store(profile(1, "ws://a/ocpp"), slot: 1)
        profiles.store(profile(2), slot: 2)
        profiles.setPriority([2, 1])
        #expect(profiles.current()?.slot == 2)
        #expect(profiles.connected() == [1])
        #expect(profiles.activeSecurityProfile == 2)
        #expect(profiles.priority == [2])
        #expect(profiles.slots.keys.sorted() == [2])
    }

    @Test func parsesThePriorityList() {
        #expect(NetworkProfiles.parsePriority("1,2") == [1, 2])
        #expect(NetworkProfiles.parsePriority("1,x") == nil)
        #expect(NetworkProfiles.parsePriority("1,1") == nil)
    }

    @Test func unknownActionWhileRejectedIsASecurityError() {
        // B03.FR.08: any CALL, known or not.
        var machine = BootStateMachine()
        #expect(machine.refusal(forActionNamed: "Foo") == nil)
        _ = machine.received(BootNotificationResponse(currentTime: OCPPDateTime(secondsSince1970: 0), interval: 5, status: .rejected))
        #expect(machine.refusal(forActionNamed: "Foo")?.code == .securityError)
    }
}
