// OCPP-J over one connection: matches CALLRESULT/CALLERROR to the station's CALL, keeps at most one CALL from the
// station outstanding (Part 4 §4.1.1... "a Charging Station SHALL NOT send a CALL while it waits for a response"),
// times out unanswered CALLs, and answers the CSMS's CALLs through `dispatch`.
public import OCPPMessages
public import Logging

/// The answer to one CALL from the CSMS, and what to do once that answer is on the wire (a triggered message goes
/// after the TriggerMessageResponse, a reset after the ResetResponse).
public struct CallReply: Sendable {
    public var payload: JSONValue
    public var afterSent: (@Sendable () async -> Void)?

    public init(payload: JSONValue, afterSent: (@Sendable () async -> Void)? = nil) {
        self.payload = payload
        self.afterSent = afterSent
    }
}

/// Answers one CALL from the CSMS: the action is known (one of the 64), the payload not yet validated.
public typealias CallDispatcher = @Sendable (OCPPAction, JSONValue) async -> Result<CallReply, OCPPCallError>

public actor RPCSession {
    private let sendText: @Sendable (String) async throws -> Void
    private let dispatch: CallDispatcher
    private let refuseUnknown: (@Sendable (String) async -> OCPPCallError?)?
    private let logger: Logger
    private let ids = MessageIDGenerator()
    private let clock = ContinuousClock()

    /// The CALL waiting for its answer.
    private struct Outstanding {
        var id: String
        var action: String
        var result: Result<JSONValue, RPCCallFailure>?
        var continuation: CheckedContinuation<JSONValue, any Error>?
        var observer: (@Sendable (JSONValue) async -> Void)?

        init(id: String, action: String, observer: (@Sendable (JSONValue) async -> Void)?) {
            self.id = id
            self.action = action
            self.observer = observer
        }
    }
    private var outstanding: Outstanding?
    private var slotTaken = false
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    /// When the station last sent anything (for the Heartbeat rule: only after an interval of no exchange).
    public private(set) var lastSent: ContinuousClock.Instant

    /// - Parameter refuseUnknown: the CALLERROR for a CALL of an unknown action, when it is not NotImplemented
    ///   (B03.FR.08: SecurityError while the boot is Rejected).
    public init(
        send: @escaping @Sendable (String) async throws -> Void, dispatch: @escaping CallDispatcher,
        refuseUnknown: (@Sendable (String) async -> OCPPCallError?)? = nil, logger: Logger
    ) {
        self.sendText = send
        self.dispatch = dispatch
        self.refuseUnknown = refuseUnknown
        self.logger = logger
        self.lastSent = ContinuousClock.now
    }

    // MARK: Outgoing CALLs

    /// Sends a CALL and waits for its CALLRESULT, validated against the response schema. `beforeNextFrame` sees a
    /// valid response before the next frame from the CSMS is read (BootNotification's status must apply to the CALL
    /// the CSMS sends right after it).
    public func call<Request: OCPPRequest>(
        _ request: Request, timeout: Duration,
        beforeNextFrame: (@Sendable (Request.Response) async -> Void)? = nil
    ) async throws -> Request.Response {
        var observer: (@Sendable (JSONValue) async -> Void)?
        if let beforeNextFrame {
            observer = { payload in
                if let response = try? Request.Response(validating: payload) { await beforeNextFrame(response) }
            }
        }
        let payload = try await callRaw(
            action: Request.action.rawValue, payload: request.toJSON(), timeout: timeout, observer: observer)
        do {
            return try Request.Response(validating: payload)
        } catch {
            throw RPCCallFailure(action: Request.action.rawValue, kind: .invalidResponse(error))
        }
    }

    public func callRaw(
        action: String, payload: JSONValue, timeout: Duration, observer: (@Sendable (JSONValue) async -> Void)? = nil
    ) async throws -> JSONValue {
        await acquireSlot()
        defer { releaseSlot() }
        try Task.checkCancellation()
        if closed { throw RPCCallFailure(action: action, kind: .connectionClosed) }
        let id = ids.next()
        outstanding = Outstanding(id: id, action: action, observer: observer)
        let frame = RPCMessage.call(messageId: id, action: action, payload: payload).serialized()
        do {
            try await transmit(frame)
        } catch {
            outstanding = nil
            throw RPCCallFailure(action: action, kind: .connectionClosed)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: timeout)
                await self.complete(id, .failure(RPCCallFailure(action: action, kind: .timeout)))
            }
            defer { group.cancelAll() }
            return try await withTaskCancellationHandler {
                try await self.awaitOutstanding(id)
            } onCancel: {
                Task { await self.complete(id, .failure(RPCCallFailure(action: action, kind: .connectionClosed))) }
            }
        }
    }

    private func awaitOutstanding(_ id: String) async throws -> JSONValue {
        guard var pending = outstanding, pending.id == id else {
            throw RPCCallFailure(action: "?", kind: .connectionClosed)
        }
        if let result = pending.result {
            outstanding = nil
            return try result.get()
        }
        return try await withCheckedThrowingContinuation { continuation in
            pending.continuation = continuation
            outstanding = pending
        }
    }

    private func complete(_ id: String, _ result: Result<JSONValue, RPCCallFailure>) {
        guard var pending = outstanding, pending.id == id, pending.result == nil || pending.continuation != nil else { return }
        if let continuation = pending.continuation {
            outstanding = nil
            continuation.resume(with: result.mapError { $0 as any Error })
        } else {
            pending.result = result
            outstanding = pending
        }
    }

    private func acquireSlot() async {
        if !slotTaken {
            slotTaken = true
            return
        }
        await withCheckedContinuation { slotWaiters.append($0) }
    }

    private func releaseSlot() {
        if slotWaiters.isEmpty {
            slotTaken = false
        } else {
            slotWaiters.removeFirst().resume()
        }
    }

    private func transmit(_ frame: String) async throws {
        logger.debug("-> \(frame)")
        try await sendText(frame)
        lastSent = clock.now
    }

    /// The connection is gone: fail what waits for an answer.
    public func close() {
        closed = true
        if let pending = outstanding {
            complete(pending.id, .failure(RPCCallFailure(action: pending.action, kind: .connectionClosed)))
        }
    }

    // MARK: Incoming frames

    /// Handles one text frame from the CSMS; answers CALLs. Never throws for bad input: a malformed frame gets the
    /// CALLERROR Part 4 names, or is dropped when it was meant as an answer.
    public func receive(_ text: String) async throws {
        // A new BasicAuthPassword arrives in a SetVariables frame: such a frame is never logged (A00: the password
        // is never reported or logged).
        logger.debug("<- \(text.contains("BasicAuthPassword") ? "(a frame setting BasicAuthPassword, not shown)" : text)")
        let message: RPCMessage
        do {
            message = try RPCMessage.parse(text)
        } catch {
            if Self.looksLikeAnswer(text) {
                // A broken CALLRESULT/CALLERROR gets no CALLERROR back (that could loop); the CALL it answered times out.
                logger.warning("dropping malformed answer from CSMS: \(error.code.rawValue) \(error.description)")
                return
            }
            logger.warning("malformed frame from CSMS: \(error.code.rawValue) \(error.description)")
            try await transmit(OCPPCallError(error.code, error.description).frame(messageId: error.messageId).serialized())
            return
        }
        switch message {
        case .callResult(let id, let payload):
            if let pending = outstanding, pending.id == id, let observer = pending.observer {
                await observer(payload)
            }
            answered(id, .success(payload))
        case .callError(let id, let code, let description, _):
            answered(id, .failure(RPCCallFailure(action: outstanding?.action ?? "?", kind: .callError(code: code, description: description))))
        case .call(let id, let actionName, let payload):
            let reply: RPCMessage
            var afterSent: (@Sendable () async -> Void)?
            if let action = OCPPAction(rawValue: actionName) {
                switch await dispatch(action, payload) {
                case .success(let response):
                    reply = .callResult(messageId: id, payload: response.payload)
                    afterSent = response.afterSent
                case .failure(let error):
                    reply = error.frame(messageId: id)
                }
            } else if let refusal = await refuseUnknown?(actionName) {
                reply = refusal.frame(messageId: id)
            } else {
                // Part 4 §4.3: NotImplemented = the requested Action is not known by the receiver.
                reply = OCPPCallError(.notImplemented, "\(actionName) is not an OCPP 2.0.1 action").frame(messageId: id)
            }
            try await transmit(reply.serialized())
            if let afterSent { await afterSent() }
        }
    }

    private func answered(_ id: String, _ result: Result<JSONValue, RPCCallFailure>) {
        guard let pending = outstanding, pending.id == id else {
            logger.warning("answer for unknown message id \(id) dropped")
            return
        }
        complete(id, result)
    }

    private static func looksLikeAnswer(_ text: String) -> Bool {
        guard case .array(let elements)? = try? JSONParser.parse(text), let first = elements.first else { return false }
        if case .int(let type) = first { return type == 3 || type == 4 }
        return false
    }
}
