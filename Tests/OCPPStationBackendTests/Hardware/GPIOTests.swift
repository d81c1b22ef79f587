// The GPIO backend through a fake chip behind the libgpiod seam (GPIODriver): outputs with active-low, debounced edge
// events, what the inputs mean, the lock's feedback; and the fault-to-contactor-open latency through the whole station.
import Foundation
import OCPPStation
import Synchronization
import Testing

@testable import OCPPStationHardware

/// A chip in memory. Levels are physical (active-low applied as the kernel would); edges wake `waitForEdge`.
final class FakeGPIOChip: GPIODriver, @unchecked Sendable {  // all state under `lock`
    struct Line {
        var address: GPIOLineAddress
        var output: Bool
        var activeLow: Bool
        var physical = false
        var edges: [Bool] = []
        /// When each logical value was set (outputs), for the latency figure.
        var writes: [(active: Bool, at: ContinuousClock.Instant)] = []
    }

    private let lock = NSCondition()
    private var lines: [Int: Line] = [:]
    private var next = 1

    private func request(_ address: GPIOLineAddress, output: Bool, activeLow: Bool, initial: Bool) throws(GPIOError) -> GPIOLineHandle {
        lock.lock()
        defer { lock.unlock() }
        if lines.values.contains(where: { $0.address == address }) { throw GPIOError("\(address): busy") }
        if case .name(let name) = address.line, name == "MISSING" { throw GPIOError("\(address): no such line on \(address.chip)") }
        let id = next
        next += 1
        lines[id] = Line(address: address, output: output, activeLow: activeLow, physical: initial != activeLow)
        return GPIOLineHandle(id: id)
    }

    func requestOutput(_ address: GPIOLineAddress, consumer: String, activeLow: Bool, initial: Bool) throws(GPIOError) -> GPIOLineHandle {
        try request(address, output: true, activeLow: activeLow, initial: initial)
    }

    func requestInput(_ address: GPIOLineAddress, consumer: String, activeLow: Bool) throws(GPIOError) -> GPIOLineHandle {
        try request(address, output: false, activeLow: activeLow, initial: false)
    }

    func setValue(_ handle: GPIOLineHandle, _ active: Bool) throws(GPIOError) {
        lock.lock()
        defer { lock.unlock() }
        let activeLow = lines[handle.id]?.activeLow ?? false
        lines[handle.id]?.physical = active != activeLow
        lines[handle.id]?.writes.append((active, ContinuousClock.now))
    }

    func value(_ handle: GPIOLineHandle) throws(GPIOError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let line = lines[handle.id] else { throw GPIOError("not requested") }
        return line.physical != line.activeLow
    }

    func waitForEdge(_ handle: GPIOLineHandle, timeoutMs: Int) throws(GPIOError) -> Bool? {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        while lines[handle.id]?.edges.isEmpty ?? true {
            if !lock.wait(until: deadline) { return nil }
        }
        return lines[handle.id]?.edges.removeFirst()
    }

    func release(_ handle: GPIOLineHandle) {
        lock.lock()
        lines[handle.id] = nil
        lock.unlock()
    }

    // The test's side of the chip.

    /// Drives an input's physical level, with an edge event as the kernel would.
    func drive(_ name: String, physical: Bool) {
        lock.lock()
        if let (id, line) = lines.first(where: { $0.value.address.line == .name(name) }), line.physical != physical {
            lines[id]?.physical = physical
            lines[id]?.edges.append(physical != line.activeLow)
            lock.broadcast()
        }
        lock.unlock()
    }

    func physical(_ name: String) -> Bool? {
        lock.lock()
        defer { lock.unlock() }
        return lines.values.first { $0.address.line == .name(name) }?.physical
    }

    func writes(_ name: String) -> [(active: Bool, at: ContinuousClock.Instant)] {
        lock.lock()
        defer { lock.unlock() }
        return lines.values.first { $0.address.line == .name(name) }?.writes ?? []
    }

    var requestedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return lines.count
    }
}

struct GPIOTests {
    static func line(_ name: String, activeLow: Bool = false) -> GPIOOutputConfiguration {
        GPIOOutputConfiguration(address: GPIOLineAddress(chip: "gpiochip0", line: .name(name)), activeLow: activeLow)
    }

    static func input(_ name: String, activeLow: Bool = true, debounceMs: Int = 0) -> GPIOInputConfiguration {
        GPIOInputConfiguration(address: GPIOLineAddress(chip: "gpiochip0", line: .name(name)), activeLow: activeLow, debounceMs: debounceMs)
    }

    static let rig = GPIOEVSEConfiguration(
        contactor: line("K1", activeLow: true), contactorFeedback: input("K1FB"), lock: line("LOCK"),
        lockFeedback: input("LOCKFB"), rcd: input("RCD"), emergencyStop: input("ESTOP", debounceMs: 20),
        ledAvailable: line("LEDG"), ledCharging: line("LEDB"), ledFault: line("LEDR"))

    /// Collects the events the lines emit.
    final class Events: Sendable {
        let list = Mutex<[HardwareEvent]>([])
        func add(_ event: HardwareEvent) { list.withLock { $0.append(event) } }
        func wait(for count: Int) async throws -> [HardwareEvent] {
            for _ in 0..<400 where list.withLock({ $0.count < count }) { try await Task.sleep(for: .milliseconds(5)) }
            return list.withLock { $0 }
        }
    }

    /// The rig's lines as the board drives them: HAL parts composed by the EVSE's parts driver.
    static func rigDriver(_ chip: FakeGPIOChip, events: AsyncStream<HardwareEvent>.Continuation) throws -> EVSEPartsDriver {
        EVSEPartsDriver(evse: 1, parts: try Self.rig.makeParts(driver: chip), maxCurrentA: 16, events: events)
    }

    @Test(.timeLimit(.minutes(1))) func outputsFollowCommandsWithActiveLow() async throws {
        let chip = FakeGPIOChip()
        let lines = try Self.rigDriver(chip, events: AsyncStream.makeStream(of: HardwareEvent.self).continuation)
        #expect(chip.physical("K1") == true, "active-low contactor: inactive (open) is a high line")
        #expect(try await lines.setContactor(closed: true))
        #expect(chip.physical("K1") == false)
        await lines.show(otherFaulted: false, charging: true)
        #expect(chip.physical("LEDB") == true && chip.physical("LEDG") == false && chip.physical("LEDR") == false)
        await lines.show(otherFaulted: true, charging: false)
        #expect(chip.physical("LEDR") == true && chip.physical("LEDB") == false)
    }

    /// The rig's lines on a fake chip with every active-low input idle (high, pulled up), watched while `body` runs.
    func withWatchedRig(
        _ body: (FakeGPIOChip, EVSEPartsDriver, Events) async throws -> Void
    ) async throws {
        let chip = FakeGPIOChip()
        let (stream, sink) = AsyncStream.makeStream(of: HardwareEvent.self)
        let lines = try Self.rigDriver(chip, events: sink)
        for name in ["K1FB", "LOCKFB", "RCD", "ESTOP"] { chip.drive(name, physical: true) }
        let events = Events()
        let collecting = Task { for await event in stream { events.add(event) } }
        let watching = Task { try await lines.watch() }
        try await Task.sleep(for: .milliseconds(150))
        try await body(chip, lines, events)
        watching.cancel()
        _ = try? await watching.value
        sink.finish()
        await collecting.value
    }

    @Test(.timeLimit(.minutes(1))) func inputsBecomeFaultsAndClearWhenTheyClear() async throws {
        try await withWatchedRig { (chip, lines, events) async throws in
            #expect(events.list.withLock { $0.isEmpty }, "idle inputs are no faults")
            chip.drive("RCD", physical: false)  // tripped
            #expect(try await events.wait(for: 1) == [.faultRaised(evse: 1, fault: .groundFault)])
            // The fault LED follows the input by itself (just after the event: the event is not held up for it).
            for _ in 0..<200 where chip.physical("LEDR") != true { try await Task.sleep(for: .milliseconds(5)) }
            #expect(chip.physical("LEDR") == true && chip.physical("LEDG") == false)
            chip.drive("RCD", physical: true)
            #expect(try await events.wait(for: 2).last == .faultCleared(evse: 1, fault: .groundFault))
            // The contactor's mirror contact closes while it is commanded open: welded.
            chip.drive("K1FB", physical: false)
            #expect(try await events.wait(for: 3).last == .faultRaised(evse: 1, fault: .weldedContactor))
            #expect(lines.activeFaults == [.weldedContactor])
            chip.drive("K1FB", physical: true)
            #expect(try await events.wait(for: 4).last == .faultCleared(evse: 1, fault: .weldedContactor))
        }
    }

    @Test(.timeLimit(.minutes(1))) func bounceWithinTheDebounceTimeIsOneChange() async throws {
        try await withWatchedRig { (chip, _, events) async throws in
            // The e-stop (debounce 20 ms) bounces: low, high, low within a few ms, then stays low.
            chip.drive("ESTOP", physical: false)
            chip.drive("ESTOP", physical: true)
            chip.drive("ESTOP", physical: false)
            try await Task.sleep(for: .milliseconds(200))
            #expect(events.list.withLock { $0 } == [.faultRaised(evse: 1, fault: .emergencyStop)])
            // A blip shorter than the debounce time that returns to the old level is no change at all.
            chip.drive("ESTOP", physical: true)
            chip.drive("ESTOP", physical: false)
            try await Task.sleep(for: .milliseconds(200))
            #expect(events.list.withLock { $0 } == [.faultRaised(evse: 1, fault: .emergencyStop)])
        }
    }

    @Test(.timeLimit(.minutes(1))) func aLockWhoseFeedbackDoesNotFollowFails() async throws {
        let chip = FakeGPIOChip()
        let lock = try #require(try Self.rig.makeParts(driver: chip).locks[1] as? GPIOConnectorLock)
        chip.drive("LOCKFB", physical: true)  // active-low feedback: high = unlocked
        let quick = GPIOConnectorLock(connector: 1, output: lock.output, feedback: lock.feedback, feedbackTimeout: .milliseconds(50))
        await #expect(throws: ConnectorLockFailure.self) { try await quick.setLocked(true) }
        // A lock whose feedback follows (the test plays the mechanism).
        let mechanism = Task {
            try await Task.sleep(for: .milliseconds(20))
            chip.drive("LOCKFB", physical: false)
        }
        try await lock.setLocked(true)
        try await mechanism.value
    }

    @Test func aLineThatCannotBeRequestedIsNamedAndNothingIsLeftRequested() {
        let chip = FakeGPIOChip()
        var broken = Self.rig
        broken.rcd = Self.input("MISSING")
        #expect(throws: GPIOError("gpiochip0/MISSING: no such line on gpiochip0")) {
            _ = try broken.makeParts(driver: chip)
        }
        #expect(chip.requestedCount == 0)
    }
}
