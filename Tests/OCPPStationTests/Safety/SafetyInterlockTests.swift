import OCPPMessages
import Testing

@testable import OCPPStation

/// The interlock as a state machine: every fault in every state of grant, control pilot and lock.
struct SafetyInterlockTests {
    /// A fault a manufacturer declares itself: the set is open.
    static let overTemperature = HardwareFault(
        "over-temperature", component: "ChargingStation", variable: "Problem", stoppedReason: .powerQuality)
    static let faults = HardwareFault.known + [overTemperature]

    struct Setup: CustomStringConvertible, Sendable {
        var granted: Bool
        var pilot: ControlPilotState
        var lockRequired: Bool
        var locked: Bool
        var description: String { "granted=\(granted) pilot=\(pilot.rawValue) lockRequired=\(lockRequired) locked=\(locked)" }

        var mayClose: Bool { granted && (pilot == .c || pilot == .d) && (!lockRequired || locked) }

        static let all: [Setup] = [false, true].flatMap { granted in
            ControlPilotState.allCases.flatMap { pilot in
                [false, true].flatMap { lockRequired in
                    [false, true].map { locked in Setup(granted: granted, pilot: pilot, lockRequired: lockRequired, locked: locked) }
                }
            }
        }
    }

    /// The contactor as the effects drove it.
    struct Harness {
        var interlock = SafetyInterlock(evseIds: [1, 2])
        var contactor = false
        var reports: [(HardwareFault, Bool)] = []
        var log: [SafetyEffect] = []

        mutating func send(_ input: SafetyInput) {
            let effects = interlock.handle(input, evse: 1)
            log += effects
            for effect in effects {
                switch effect {
                case .contactor(let evse, let closed):
                    #expect(evse == 1)
                    contactor = closed
                case .faultChanged(let evse, let fault, let active):
                    #expect(evse == 1)
                    reports.append((fault, active))
                }
            }
        }

        init(_ setup: Setup) {
            send(.lockRequired(setup.lockRequired))
            send(.locked(setup.locked))
            send(.controlPilot(setup.pilot))
            send(.energyGranted(setup.granted))
        }
    }

    @Test(arguments: Setup.all)
    func theContactorClosesOnlyWhenEveryConditionHolds(_ setup: Setup) {
        let h = Harness(setup)
        #expect(h.contactor == setup.mayClose, "\(setup)")
        #expect(h.interlock.state(1)?.contactorClosed == setup.mayClose)
        #expect(h.interlock.state(2)?.contactorClosed == false, "the other EVSE is untouched")
    }

    @Test(arguments: Setup.all)
    func everyFaultOpensTheContactorAtOnceAndKeepsItOpen(_ setup: Setup) {
        for fault in Self.faults {
            var h = Harness(setup)
            let wasClosed = h.contactor
            h.log = []
            h.send(.faultRaised(fault))
            #expect(!h.contactor, "\(fault) in \(setup)")
            if wasClosed {
                // The energy stops before the fault is reported.
                #expect(h.log.first == .contactor(evse: 1, closed: false), "\(fault) in \(setup)")
            } else {
                #expect(!h.log.contains { if case .contactor = $0 { true } else { false } }, "\(fault) in \(setup)")
            }
            #expect(h.reports.last.map { $0.0 == fault && $0.1 } == true, "\(fault) reported in \(setup)")
            // Nothing the engine or the EV does closes it while the fault lasts.
            // (Unplugging ends a lock failure's condition, so lockRequired(false) is left out for it.)
            let inputs: [SafetyInput] = [.energyGranted(true), .controlPilot(.c), .controlPilot(.d)] + (fault == .lockFailure ? [] : [.lockRequired(false)])
            for input in inputs {
                h.send(input)
                #expect(!h.contactor, "\(fault) in \(setup) after \(input)")
            }
            // Raising it again reports nothing new.
            let reported = h.reports.count
            h.send(.faultRaised(fault))
            #expect(h.reports.count == reported)
        }
    }

    @Test(arguments: Setup.all)
    func aFaultClearsOnlyWhenItsConditionClears(_ setup: Setup) {
        for fault in Self.faults {
            for clearAll in [false, true] {
                var h = Harness(setup)
                h.send(.faultRaised(fault))
                h.send(clearAll ? .faultsCleared : .faultCleared(fault))
                let lockStillFailing = fault == .lockFailure && setup.lockRequired && !setup.locked
                if lockStillFailing {
                    // G05: a failed lock clears when the lock locks, not when someone says it cleared.
                    #expect(h.interlock.state(1)?.faults == [.lockFailure], "\(setup)")
                    #expect(!h.contactor)
                    h.send(.locked(true))
                    #expect(h.interlock.state(1)?.faults == [], "\(setup)")
                    #expect(h.reports.last.map { $0.0 == .lockFailure && !$0.1 } == true)
                    #expect(h.contactor == (setup.granted && setup.pilot.evRequestsEnergy), "\(setup)")
                } else {
                    #expect(h.interlock.state(1)?.faults == [], "\(fault) in \(setup)")
                    #expect(h.reports.last.map { $0.0 == fault && !$0.1 } == true, "\(fault) cleared in \(setup)")
                    // With the fault gone, the contactor is back to what the other conditions say.
                    #expect(h.contactor == setup.mayClose, "\(fault) in \(setup)")
                }
            }
        }
    }

    @Test func twoFaultsNeedBothCleared() {
        var h = Harness(Setup(granted: true, pilot: .c, lockRequired: true, locked: true))
        #expect(h.contactor)
        h.send(.faultRaised(.groundFault))
        h.send(.faultRaised(.emergencyStop))
        h.send(.faultCleared(.groundFault))
        #expect(!h.contactor)
        h.send(.faultCleared(.emergencyStop))
        #expect(h.contactor)
        #expect(h.reports.map(\.1) == [true, true, false, false])
    }

    @Test func aLockThatFailsMeansNoCharging() {
        // G05.FR.01: the lock command failed; G05.FR.02: the report names ConnectorPlugRetentionLock.Problem.
        var h = Harness(Setup(granted: false, pilot: .b, lockRequired: true, locked: false))
        h.send(.locked(false))
        h.send(.faultRaised(.lockFailure))
        h.send(.energyGranted(true))
        h.send(.controlPilot(.c))
        #expect(!h.contactor)
        #expect(HardwareFault.lockFailure.component == "ConnectorPlugRetentionLock" && HardwareFault.lockFailure.variable == "Problem")
        #expect(!HardwareFault.lockFailure.makesConnectorFaulted)
        // Unplugging ends the condition: nothing left to retain.
        h.send(.controlPilot(.a))
        h.send(.lockRequired(false))
        #expect(h.interlock.state(1)?.faults == [])
        #expect(h.reports.map(\.1) == [true, false])
    }

    @Test func aTetheredCableNeedsNoLock() {
        let h = Harness(Setup(granted: true, pilot: .c, lockRequired: false, locked: false))
        #expect(h.contactor)
    }

    @Test func theEVLeavingStateCOpensTheContactor() {
        for pilot in [ControlPilotState.a, .b, .e, .f] {
            var h = Harness(Setup(granted: true, pilot: .c, lockRequired: true, locked: true))
            h.send(.controlPilot(pilot))
            #expect(!h.contactor, "\(pilot)")
            #expect(h.reports.isEmpty)
        }
    }

    @Test func restoreOpensAContactorLeftClosedAndReportsActiveFaults() {
        var interlock = SafetyInterlock(evseIds: [1])
        let effects = interlock.restore(evse: 1, faults: [.emergencyStop], contactorClosed: true)
        #expect(effects == [
            .contactor(evse: 1, closed: false),
            .faultChanged(evse: 1, fault: .emergencyStop, active: true),
        ])
        var idle = SafetyInterlock(evseIds: [1])
        #expect(idle.restore(evse: 1, faults: [], contactorClosed: false) == [])
    }

    @Test func faultsMapToTheComponentsAndReasonsOfTheSpec() {
        let expected: [(HardwareFault, String, String, String)] = [
            (.groundFault, "RCD", "Tripped", "GroundFault"),
            (.overcurrent, "OverCurrentProtection", "Tripped", "OvercurrentFault"),
            (.emergencyStop, "EmergencyStopSensor", "Active", "EmergencyStop"),
            (.weldedContactor, "PowerContactor", "Problem", "Other"),
            (.meterLost, "FiscalMetering", "Problem", "Other"),
            (.lockFailure, "ConnectorPlugRetentionLock", "Problem", "Other"),
        ]
        for (fault, component, variable, reason) in expected {
            #expect(fault.component == component && fault.variable == variable && fault.stoppedReason.rawValue == reason, "\(fault)")
            #expect(HardwareFault(rawValue: fault.rawValue) == fault)
        }
        #expect(HardwareFault(rawValue: "nonsense") == nil)
    }
}

struct FaultEventCausesTests {
    @Test func theClearingEventNamesTheRaisingOneOnce() {
        var causes = FaultEventCauses()
        causes.raised("1/ground-fault", eventId: 41)
        causes.raised("2/emergency-stop", eventId: 42)
        #expect(causes.cleared("1/ground-fault") == 41)
        #expect(causes.cleared("1/ground-fault") == nil, "cleared once")
        #expect(causes.cleared("2/emergency-stop") == 42)
    }
}
