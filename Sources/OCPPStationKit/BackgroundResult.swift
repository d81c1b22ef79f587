// One piece of synchronous start-up work run on another thread while the caller does its own.
internal import Dispatch
internal import Synchronization

/// Starts `work` on a Dispatch worker at once; `wait()` blocks until it finished and returns what it produced.
/// For start-up only, where the caller is itself synchronous (`StationAgent.init`) and the work is short.
final class BackgroundResult<Value: Sendable>: Sendable {
    private let result = Mutex<Result<Value, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async { [self] in
            let outcome = Result { try work() }
            result.withLock { $0 = outcome }
            done.signal()
        }
    }

    func wait() -> Result<Value, any Error> {
        done.wait()
        done.signal()  // later waits return at once
        return result.withLock { $0! }
    }
}
