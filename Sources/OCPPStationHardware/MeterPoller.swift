// Polls an energy meter at its interval: keeps the latest sample for the board's physical state, and turns a meter
// that stops answering into HardwareFault.meterLost (cleared when it answers again). The meter's own I/O runs off the
// event loop (the Modbus backend on its bus thread); between polls this sleeps.
public import OCPPStation
import Synchronization

public final class MeterPoller: Sendable {
    public let meter: any EnergyMeter
    public let interval: Duration
    private struct State {
        var latest: MeterSample?
        var lost = false
        var lastError: String?
    }
    private let state = Mutex(State())

    public init(meter: any EnergyMeter, interval: Duration = .seconds(1)) {
        self.meter = meter
        self.interval = interval
    }

    public var latest: MeterSample? { state.withLock { $0.latest } }
    public var isLost: Bool { state.withLock { $0.lost } }

    /// Polls until cancelled; `emit` gets meterLost raised or cleared on `evse`.
    public func run(evse: Int, emit: @escaping @Sendable (HardwareEvent) -> Void) async {
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            let event = await poll(evse: evse)
            if let event { emit(event) }
            next += interval
            if next < clock.now { next = clock.now + interval }  // after a slow poll: no burst
            do { try await Task.sleep(until: next, clock: clock) } catch { return }
        }
    }

    /// One poll; the event when the meter was lost or found again.
    func poll(evse: Int) async -> HardwareEvent? {
        do {
            let sample = try await meter.read()
            return state.withLock { state in
                state.latest = sample
                defer { state.lost = false }
                return state.lost ? .faultCleared(evse: evse, fault: .meterLost) : nil
            }
        } catch {
            return state.withLock { state in
                state.lastError = "\(error)"
                defer { state.lost = true }
                return state.lost ? nil : .faultRaised(evse: evse, fault: .meterLost)
            }
        }
    }
}
