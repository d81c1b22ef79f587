internal import Synchronization

/// Wakes waiting tasks early (a timer whose deadline changed). A wake with nobody waiting is kept for the next
/// wait, so none is lost. Every waiter is woken: a wake is a hint to look again, and waiters loop.
public final class Wakeup: Sendable {
    private struct State {
        var waiters: [CheckedContinuation<Void, Never>] = []
        var pending = false
    }
    private let state = Mutex(State())

    public init() {}

    /// Returns at the next `wake()` (or at once if one came since the last wait), or when the task is cancelled.
    public func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }

    public func wake() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty { state.pending = true }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension Wakeup {
    /// Returns at the next `wake()` or at `deadline` (nil: no deadline), whichever comes first.
    public func wait(until deadline: ContinuousClock.Instant?) async {
        guard let deadline else { return await wait() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(until: deadline, clock: ContinuousClock()) }
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
