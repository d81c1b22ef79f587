// OCPP-J over one connection: matches CALLRESULT/CALLERROR to the station's CALL, keeps at most one CALL from the
// station outstanding (Part 4 §4.1.1... "a Charging Station SHALL NOT send a CALL while it waits for a response"),
// times out unanswered CALLs, and answers the CSMS's CALLs through `dispatch`.
public import OCPPMessages
public import Logging

/// The answer to one CALL from the CSMS, and what to do once that answer is on the wire (a triggered message goes
/// after the TriggerMessageResponse, a reset after the ResetResponse).
public struct CallReply: Sendable {
    /// The CALLRESULT frame answering a message id, written straight to bytes (`callResultFrame`).
    let frame: @Sendable (_ messageId: String) -> [UInt8]
    public var afterSent: (@Sendable () async -> Void)?

    public init<Response: OCPPResponse>(_ response: Response, afterSent: (@Sendable () async -> Void)? = nil) {
        self.frame = { response.callResultFrame(messageId: $0) }
        self.afterSent = afterSent
    }
}

/// Answers one CALL from the CSMS: the action is known (one of the 64), the frame's envelope read, its payload not
/// yet read (`RPCFrame.decodePayload` validates and decodes it, and finds a broken payload).
public typealias CallDispatcher = @Sendable (OCPPAction, RPCFrame) async -> Result<CallReply, OCPPCallError>

public actor RPCSession {
    private let sendText: @Sendable (String) async throws -> Void
    private let dispatch: CallDispatcher
    private let refuseUnknown: (@Sendable (String) async -> OCPPCallError?)?
    private let logger: Logger
    private let ids = MessageIDGenerator()
    private let clock = ContinuousClock()

    /// How a CALL's caller reads its CALLRESULT: decoded (the typed response, byte path) or as the payload's tree.
    /// `.frame` means the CALLRESULT itself is broken: it is dropped as before, and the CALL times out.
    private typealias ReadAnswer = @Sendable (RPCFrame) -> Result<any Sendable, RPCFrame.DecodingError>

    /// The CALL waiting for its answer.
    private struct Outstanding {
        var id: String
        var action: String
        var read: ReadAnswer
        var result: Result<any Sendable, RPCCallFailure>?
        var continuation: CheckedContinuation<any Sendable, any Error>?
        var observer: (@Sendable (any Sendable) async -> Void)?

        init(id: String, action: String, read: @escaping ReadAnswer, observer: (@Sendable (any Sendable) async -> Void)?) {
            self.id = id
            self.action = action
            self.read = read
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
        let action = Request.action.rawValue
        let read: ReadAnswer = { frame in
            do throws(RPCFrame.DecodingError) {
                let response: Request.Response = try frame.decodePayload(as: Request.Response.self)
                return .success(response)
            } catch {
                return .failure(error)
            }
        }
        var observer: (@Sendable (any Sendable) async -> Void)?
        if let beforeNextFrame {
            observer = { answer in
                if let response = answer as? Request.Response { await beforeNextFrame(response) }
            }
        }
        let answer = try await exchange(
            action: action, frame: { messageId in String(decoding: request.callFrame(messageId: messageId), as: UTF8.self) },
            timeout: timeout, read: read, observer: observer)
        guard let response = answer as? Request.Response else { throw RPCCallFailure(action: action, kind: .connectionClosed) }
        return response
    }

    /// Sends a CALL whose payload is a JSON tree (a queued message read back from the outbox) and returns the
    /// CALLRESULT's payload, not validated.
    public func callRaw(
        action: String, payload: JSONValue, timeout: Duration, observer: (@Sendable (JSONValue) async -> Void)? = nil
    ) async throws -> JSONValue {
        let read: ReadAnswer = { frame in
            do throws(RPCFrameError) {
                // Only a CALLRESULT is read as an answer, and `message()` of one is one.
                guard case .callResult(_, let payload) = try frame.message() else {
                    return .failure(.payload(OCPPValidationError(code: .formatViolation, path: "", reason: "not a CALLRESULT")))
                }
                let answer: any Sendable = payload
                return .success(answer)
            } catch {
                return .failure(.frame(error))
            }
        }
        var observeAnswer: (@Sendable (any Sendable) async -> Void)?
        if let observer {
            observeAnswer = { answer in
                if let payload = answer as? JSONValue { await observer(payload) }
            }
        }
        let answer = try await exchange(
            action: action, frame: { messageId in RPCMessage.call(messageId: messageId, action: action, payload: payload).serialized() },
            timeout: timeout, read: read, observer: observeAnswer)
        guard let payload = answer as? JSONValue else { throw RPCCallFailure(action: action, kind: .connectionClosed) }
        return payload
    }

    private func exchange(
        action: String, frame makeFrame: (_ messageId: String) -> String, timeout: Duration, read: @escaping ReadAnswer,
        observer: (@Sendable (any Sendable) async -> Void)?
    ) async throws -> any Sendable {
        await acquireSlot()
        defer { releaseSlot() }
        try Task.checkCancellation()
        if closed { throw RPCCallFailure(action: action, kind: .connectionClosed) }
        let id = ids.next()
        outstanding = Outstanding(id: id, action: action, read: read, observer: observer)
        let frame = makeFrame(id)
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

    private func awaitOutstanding(_ id: String) async throws -> any Sendable {
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

    private func complete(_ id: String, _ result: Result<any Sendable, RPCCallFailure>) {
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
    ///
    /// The frame takes the byte path (`RPCFrame`): its envelope is read here, its payload only where it is decoded,
    /// so a broken payload shows up late. Every refusal therefore first asks the tree path (`message()`) whether the
    /// frame itself is refused, and answers that as before: the CALLERROR codes are those of `RPCMessage.parse`.
    public func receive(_ text: String) async throws {
        // A new BasicAuthPassword arrives in a SetVariables frame: such a frame is never logged (A00: the password
        // is never reported or logged).
        logger.debug("<- \(text.contains("BasicAuthPassword") ? "(a frame setting BasicAuthPassword, not shown)" : text)")
        let frame: RPCFrame
        do {
            frame = try RPCFrame.parse(utf8: Array(text.utf8))
        } catch {
            try await refuse(text, error)
            return
        }
        let id = frame.messageId
        switch frame.kind {
        case .callResult:
            guard let pending = outstanding, pending.id == id else {
                if try await refused(frame, text) { return }
                logger.warning("answer for unknown message id \(id) dropped")
                return
            }
            switch pending.read(frame) {
            case .success(let answer):
                if let observer = pending.observer { await observer(answer) }
                answered(id, .success(answer))
            case .failure(.payload(let error)):
                answered(id, .failure(RPCCallFailure(action: pending.action, kind: .invalidResponse(error))))
            case .failure(.frame(let error)):
                try await refuse(text, error)
            }
        case .callError:
            guard case .callError(_, let code, let description, _)? = try? frame.message() else { return }
            answered(id, .failure(RPCCallFailure(action: outstanding?.action ?? "?", kind: .callError(code: code, description: description))))
        case .call(let actionName):
            let reply: Result<CallReply, OCPPCallError>
            if let action = OCPPAction(rawValue: actionName) {
                reply = await dispatch(action, frame)
            } else if let refusal = await refuseUnknown?(actionName) {
                reply = .failure(refusal)
            } else {
                // Part 4 §4.3: NotImplemented = the requested Action is not known by the receiver.
                reply = .failure(OCPPCallError(.notImplemented, "\(actionName) is not an OCPP 2.0.1 action"))
            }
            switch reply {
            case .success(let response):
                try await transmit(String(decoding: response.frame(id), as: UTF8.self))
                if let afterSent = response.afterSent { await afterSent() }
            case .failure(let error):
                if try await refused(frame, text) { return }
                try await transmit(error.frame(messageId: id).serialized())
            }
        }
    }

    /// Whether the tree path refuses the frame itself (then answered as `RPCMessage.parse` would have it): on the byte
    /// path a broken payload is found only by decoding it, and a refusal of the CALL must not hide it.
    private func refused(_ frame: RPCFrame, _ text: String) async throws -> Bool {
        do {
            _ = try frame.message()
            return false
        } catch {
            try await refuse(text, error)
            return true
        }
    }

    /// A frame the tree path refuses: the CALLERROR Part 4 names, or nothing when it was meant as an answer.
    private func refuse(_ text: String, _ error: RPCFrameError) async throws {
        if Self.looksLikeAnswer(text) {
            // A broken CALLRESULT/CALLERROR gets no CALLERROR back (that could loop); the CALL it answered times out.
            logger.warning("dropping malformed answer from CSMS: \(error.code.rawValue) \(error.description)")
            return
        }
        logger.warning("malformed frame from CSMS: \(error.code.rawValue) \(error.description)")
        try await transmit(OCPPCallError(error.code, error.description).frame(messageId: error.messageId).serialized())
    }

    private func answered(_ id: String, _ result: Result<any Sendable, RPCCallFailure>) {
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
