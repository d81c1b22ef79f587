import OCPPMessages
import Testing

@testable import OCPPStation

struct BootStateMachineTests {
    func response(_ status: RegistrationStatusEnumType, interval: Int) -> BootNotificationResponse {
        BootNotificationResponse(currentTime: OCPPDateTime(secondsSince1970: 0), interval: interval, status: status)
    }

    @Test func acceptedTakesTheInterval() {
        var machine = BootStateMachine()
        #expect(machine.received(response(.accepted, interval: 42)) == .registered(heartbeatInterval: .seconds(42)))
        #expect(machine.registration == .accepted)
        #expect(machine.maySendUnprompted)
    }

    @Test func acceptedWithZeroIntervalKeepsTheConfiguredOne() {
        var machine = BootStateMachine()
        // B01.FR.04 applies only when interval > 0.
        #expect(machine.received(response(.accepted, interval: 0)) == .registered(heartbeatInterval: nil))
    }

    @Test func pendingRetriesAfterTheInterval() {
        var machine = BootStateMachine()
        #expect(machine.received(response(.pending, interval: 7)) == .retry(after: .seconds(7)))
        #expect(!machine.maySendUnprompted)
        #expect(machine.maySendTriggered)
        #expect(machine.refusal(for: .getVariables) == nil)  // B02.FR.01
    }

    @Test func zeroIntervalUsesTheStationsOwnWait() {
        var machine = BootStateMachine()
        // B02.FR.07 / B03.FR.05
        #expect(machine.received(response(.rejected, interval: 0)) == .retry(after: BootStateMachine.defaultRetryInterval))
    }

    @Test func rejectedRefusesEveryCall() {
        var machine = BootStateMachine()
        _ = machine.received(response(.rejected, interval: 5))
        // B03.FR.08
        #expect(machine.refusal(for: .getVariables)?.code == .securityError)
        #expect(!machine.maySendTriggered)
    }
}

struct ReconnectBackoffTests {
    @Test func doublesUpToRepeatTimesThenStays() {
        var backoff = ReconnectBackoff(waitMinimum: .seconds(2), randomRange: .seconds(0), repeatTimes: 2)
        #expect(backoff.nextDelay(random: 0.5) == .seconds(2))
        #expect(backoff.nextDelay(random: 0.5) == .seconds(4))
        #expect(backoff.nextDelay(random: 0.5) == .seconds(8))
        #expect(backoff.nextDelay(random: 0.5) == .seconds(8))
        // Errata 2025-04 (Part 4 §5.3): reset to the minimum after a successful connection.
        backoff.reset()
        #expect(backoff.nextDelay(random: 0) == .seconds(2))
    }

    @Test func addsTheRandomPart() {
        var backoff = ReconnectBackoff(waitMinimum: .seconds(1), randomRange: .seconds(10), repeatTimes: 3)
        #expect(backoff.nextDelay(random: 1) == .seconds(11))
        #expect(backoff.nextDelay(random: 0) == .seconds(2))
    }
}
