// One EVSE's GPIO lines: outputs for the contactor, the plug lock and the status LEDs; inputs for the contactor's
// mirror contact, the lock's feedback, the RCD and the emergency stop. Inputs are watched on threads of their own
// (edge events, debounced), never on the event loop; what they mean reaches the station as HardwareEvents.
import NIOPosix
public import OCPPStation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public struct GPIOOutputConfiguration: Sendable, Hashable {
    public var address: GPIOLineAddress
    /// The line is low when active (a relay board that switches on low).
    public var activeLow: Bool

    public init(address: GPIOLineAddress, activeLow: Bool = false) {
        self.address = address
        self.activeLow = activeLow
    }
}

public struct GPIOInputConfiguration: Sendable, Hashable {
    public var address: GPIOLineAddress
    public var activeLow: Bool
    /// A change counts once the line has kept its new level this long (contact bounce).
    public var debounceMs: Int

    public init(address: GPIOLineAddress, activeLow: Bool = false, debounceMs: Int = 10) {
        self.address = address
        self.activeLow = activeLow
        self.debounceMs = debounceMs
    }
}

/// The lines of one EVSE, as the board file names them; any may be absent.
public struct GPIOEVSEConfiguration: Sendable, Hashable {
    /// Active = contactor closed.
    public var contactor: GPIOOutputConfiguration?
    /// The contactor's mirror contact: active = closed. Closed while commanded open is a welded contact.
    public var contactorFeedback: GPIOInputConfiguration?
    /// Active = locked.
    public var lock: GPIOOutputConfiguration?
    /// Active = locked. Unlocked while commanded locked is a lock failure (G05).
    public var lockFeedback: GPIOInputConfiguration?
    /// Active = tripped (ground fault).
    public var rcd: GPIOInputConfiguration?
    /// Active = pressed.
    public var emergencyStop: GPIOInputConfiguration?
    public var ledAvailable: GPIOOutputConfiguration?
    public var ledCharging: GPIOOutputConfiguration?
    public var ledFault: GPIOOutputConfiguration?

    public init(
        contactor: GPIOOutputConfiguration? = nil, contactorFeedback: GPIOInputConfiguration? = nil,
        lock: GPIOOutputConfiguration? = nil, lockFeedback: GPIOInputConfiguration? = nil, rcd: GPIOInputConfiguration? = nil,
        emergencyStop: GPIOInputConfiguration? = nil, ledAvailable: GPIOOutputConfiguration? = nil,
        ledCharging: GPIOOutputConfiguration? = nil, ledFault: GPIOOutputConfiguration? = nil
    ) {
        self.contactor = contactor
        self.contactorFeedback = contactorFeedback
        self.lock = lock
        self.lockFeedback = lockFeedback
        self.rcd = rcd
        self.emergencyStop = emergencyStop
        self.ledAvailable = ledAvailable
        self.ledCharging = ledCharging
        self.ledFault = ledFault
    }

    /// Every line with the board-file field that names it (for duplicate checks and messages).
    public var lines: [(field: String, address: GPIOLineAddress)] {
        let outputs: [(String, GPIOOutputConfiguration?)] = [
            ("contactor", contactor), ("lock", lock), ("leds.available", ledAvailable), ("leds.charging", ledCharging),
            ("leds.fault", ledFault),
        ]
        let inputs: [(String, GPIOInputConfiguration?)] = [
            ("contactorFeedback", contactorFeedback), ("lockFeedback", lockFeedback), ("rcd", rcd),
            ("emergencyStop", emergencyStop),
        ]
        return outputs.compactMap { field, line in line.map { (field, $0.address) } }
            + inputs.compactMap { field, line in line.map { (field, $0.address) } }
    }
}

public final class GPIOEVSELines: Sendable {
    enum Input: Sendable, Hashable { case contactorFeedback, lockFeedback, rcd, emergencyStop }

    private struct State: Sendable {
        var contactorCommanded = false
        var lockCommanded = false
        var faults: Set<HardwareFault> = []
        /// Faults the board knows of beyond these lines (simulated ones on a mixed board), for the fault LED.
        var otherFaults = false
        /// Last debounced level per input.
        var levels: [Input: Bool] = [:]
    }

    public let evse: Int
    let configuration: GPIOEVSEConfiguration
    let driver: any GPIODriver
    private let outputs: [String: GPIOLineHandle]
    private let inputs: [(Input, GPIOLineHandle, GPIOInputConfiguration)]
    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)

    /// Requests every line (outputs inactive: contactor open, unlocked, LEDs off). Throws naming the line that failed.
    public init(evse: Int, configuration: GPIOEVSEConfiguration, driver: any GPIODriver, consumer: String = "ocpp-station") throws(GPIOError) {
        self.evse = evse
        self.configuration = configuration
        self.driver = driver
        var outputs: [String: GPIOLineHandle] = [:]
        var inputs: [(Input, GPIOLineHandle, GPIOInputConfiguration)] = []
        do {
            for (name, line) in [
                ("contactor", configuration.contactor), ("lock", configuration.lock), ("available", configuration.ledAvailable),
                ("charging", configuration.ledCharging), ("fault", configuration.ledFault),
            ] {
                guard let line else { continue }
                outputs[name] = try driver.requestOutput(line.address, consumer: consumer, activeLow: line.activeLow, initial: false)
            }
            for (input, line) in [
                (Input.contactorFeedback, configuration.contactorFeedback), (.lockFeedback, configuration.lockFeedback),
                (.rcd, configuration.rcd), (.emergencyStop, configuration.emergencyStop),
            ] {
                guard let line else { continue }
                inputs.append((input, try driver.requestInput(line.address, consumer: consumer, activeLow: line.activeLow), line))
            }
        } catch {
            for handle in outputs.values { driver.release(handle) }
            for (_, handle, _) in inputs { driver.release(handle) }
            throw error
        }
        self.outputs = outputs
        self.inputs = inputs
    }

    deinit {
        for handle in outputs.values { driver.release(handle) }
        for (_, handle, _) in inputs { driver.release(handle) }
    }

    public var hasContactor: Bool { outputs["contactor"] != nil }
    public var hasLock: Bool { outputs["lock"] != nil }

    /// Faults the inputs show now.
    public var activeFaults: Set<HardwareFault> { state.withLock { $0.faults } }

    // MARK: Outputs

    public func setContactor(closed: Bool) throws(GPIOError) {
        state.withLock { $0.contactorCommanded = closed }
        if let line = outputs["contactor"] { try driver.setValue(line, closed) }
    }

    /// Locks or unlocks; with a feedback line, waits up to `feedbackTimeoutMs` for it to agree, else throws (G05).
    public func setLock(locked: Bool, feedbackTimeoutMs: Int = 500) async throws(GPIOError) {
        state.withLock { $0.lockCommanded = locked }
        guard let line = outputs["lock"] else { return }
        try driver.setValue(line, locked)
        guard let feedback = inputs.first(where: { $0.0 == .lockFeedback }) else { return }
        var waited = 0
        while try driver.value(feedback.1) != locked {
            if waited >= feedbackTimeoutMs {
                throw GPIOError("\(feedback.2.address): the lock's feedback did not become \(locked ? "locked" : "unlocked") within \(feedbackTimeoutMs) ms")
            }
            try? await Task.sleep(for: .milliseconds(5))
            waited += 5
        }
    }

    /// The status LEDs: available (no fault, contactor open), charging (contactor closed), fault. `faulted`: faults
    /// the board knows of beyond these lines; the lines' own faults and the contactor are added here, and the LEDs
    /// follow every input change by themselves.
    public func showStatus(faulted: Bool, charging: Bool) {
        state.withLock { $0.otherFaults = faulted }
        refreshLEDs(charging: charging)
    }

    private func refreshLEDs(charging: Bool? = nil) {
        let (faulted, closed) = state.withLock { state in
            (state.otherFaults || state.faults.contains(where: \.makesConnectorFaulted), charging ?? state.contactorCommanded)
        }
        for (name, on) in [("available", !faulted && !closed), ("charging", closed && !faulted), ("fault", faulted)] {
            if let line = outputs[name] { try? driver.setValue(line, on) }
        }
    }

    // MARK: Inputs

    /// Watches the inputs until cancelled, each on a thread of its own; `emit` gets what they mean. The levels at
    /// start count as changes (an e-stop pressed before the agent started is a fault now).
    public func watch(emit: @escaping @Sendable (HardwareEvent) -> Void) async throws {
        guard !inputs.isEmpty else {
            try await Task.sleepUntilCancelled()
            return
        }
        let threads = NIOThreadPool(numberOfThreads: inputs.count)
        threads.start()
        stopped.store(false, ordering: .relaxed)
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                for (input, handle, configuration) in inputs {
                    group.addTask {
                        _ = try? await threads.runIfActive {
                            self.watchBlocking(input, handle, configuration, emit: emit)
                        }
                    }
                }
            }
        } onCancel: {
            stopped.store(true, ordering: .relaxed)
        }
        try? await threads.shutdownGracefully()
    }

    /// One input's loop on its thread (GPIOInputLine.watchBlocking).
    private func watchBlocking(
        _ input: Input, _ handle: GPIOLineHandle, _ configuration: GPIOInputConfiguration,
        emit: @Sendable (HardwareEvent) -> Void
    ) {
        GPIOInputLine.watchBlocking(driver: driver, handle: handle, debounceMs: configuration.debounceMs, isStopped: { stopped.load(ordering: .relaxed) }) {
            changed(input, $0, emit: emit)
        }
    }

    private func changed(_ input: Input, _ level: Bool, emit: @Sendable (HardwareEvent) -> Void) {
        let events: [HardwareEvent] = state.withLock { state in
            guard state.levels[input] != level else { return [] }
            state.levels[input] = level
            let fault: HardwareFault
            let active: Bool
            switch input {
            case .rcd: (fault, active) = (.groundFault, level)
            case .emergencyStop: (fault, active) = (.emergencyStop, level)
            // A mirror contact closed while the contactor is commanded open: welded.
            case .contactorFeedback: (fault, active) = (.weldedContactor, level && !state.contactorCommanded)
            // The lock's feedback says unlocked while it is commanded locked.
            case .lockFeedback: (fault, active) = (.lockFailure, !level && state.lockCommanded)
            }
            if active {
                return state.faults.insert(fault).inserted ? [.faultRaised(evse: evse, fault: fault)] : []
            }
            return state.faults.remove(fault) != nil ? [.faultCleared(evse: evse, fault: fault)] : []
        }
        if !events.isEmpty { refreshLEDs() }
        for event in events { emit(event) }
    }
}
