internal import Synchronization

/// Wakes one waiting task early (a timer whose deadline changed). A wake with nobody waiting is kept for the next
/// wait, so none is lost.
final class Wakeup: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var pending = false
    }
    private let state = Mutex(State())

    /// Returns at the next `wake()` (or at once if one came since the last wait), or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }

    func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }
}

extension Wakeup {
    /// Returns at the next `wake()` or at `deadline` (nil: no deadline), whichever comes first.
    func wait(until deadline: ContinuousClock.Instant?) async {
        guard let deadline else { return await wait() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(until: deadline, clock: ContinuousClock()) }
            group.addTask { await self.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
