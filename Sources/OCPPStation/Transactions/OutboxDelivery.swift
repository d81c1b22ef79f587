// Delivering the outbox (E08.FR.05/06, E12, E13, A04.FR.02): only after BootNotification Accepted (B01.FR.08), in
// commit order, one CALL at a time; a message is removed only after its CALLRESULT. A CALLERROR or no answer within
// MessageTimeout is a failed attempt: retried after MessageAttemptInterval x attempts so far (E13.FR.02), given up
// after MessageAttempts (E13.FR.03/04). A lost connection is not a failed attempt: the message goes again on the
// next connection.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func deliverOutbox(_ rpc: RPCSession) async {
        while !Task.isCancelled {
            guard boot.maySendUnprompted else {
                await outboxWakeup.wait()
                continue
            }
            let next: OutboxMessage?
            do {
                next = try await outbox.first()
            } catch {
                logger.error("cannot read the outbox: \(error)")
                await outboxWakeup.wait(until: ContinuousClock.now + messageTimeout)
                continue
            }
            guard let message = next else {
                await outboxWakeup.wait()
                continue
            }
            guard let payload = try? JSONParser.parse(message.payload) else {
                logger.error("outbox message \(message.id) is not JSON: dropped")
                await removeFromOutbox(message)
                continue
            }
            do {
                let answer = try await rpc.callRaw(action: message.action, payload: payload, timeout: messageTimeout)
                await removeFromOutbox(message)
                await delivered(message, answer)
            } catch let failure as RPCCallFailure {
                if case .connectionClosed = failure.kind { return }
                await failedAttempt(message, failure)
            } catch {
                return  // cancelled: the session is over
            }
        }
    }

    private func removeFromOutbox(_ message: OutboxMessage) async {
        do {
            try await outbox.remove(id: message.id)
            queuedCount = max(0, queuedCount - 1)
        } catch {
            // Sent again later: the CSMS sees an identical retransmission, nothing is lost.
            logger.error("cannot remove message \(message.id) from the outbox: \(error)")
        }
        deliveredWakeup.wake()
    }

    private func delivered(_ message: OutboxMessage, _ answer: JSONValue) async {
        switch message.action {
        case OCPPAction.transactionEvent.rawValue:
            guard let transactionId = message.transactionId else { return }
            do {
                let response = try TransactionEventResponse(validating: answer)
                if response.idTokenInfo != nil {
                    let idToken = (try? JSONParser.parse(message.payload))?["idToken"].flatMap { try? IdTokenType(json: $0) }
                    inputSink.yield(.transactionEventAnswered(transactionId: transactionId, idToken: idToken, response))
                }
            } catch {
                logger.warning("TransactionEventResponse for \(transactionId) is invalid: \(error.reason)")
            }
        case OCPPAction.securityEventNotification.rawValue:
            await securityEventDelivered(message.payload)
        default:
            break
        }
    }

    private func failedAttempt(_ message: OutboxMessage, _ failure: RPCCallFailure) async {
        let attempts = message.attempts + 1
        let allowed = max(1, deviceModel.integer("OCPPCommCtrlr", "MessageAttempts", instance: "TransactionEvent") ?? 3)
        if attempts >= allowed {
            // E13.FR.04: given up after MessageAttempts.
            logger.error("\(message.action) \(message.transactionId ?? "") seqNo \(message.seqNo.map(String.init) ?? "-") discarded after \(attempts) attempts: \(failure)")
            await removeFromOutbox(message)
            if message.action == OCPPAction.securityEventNotification.rawValue {
                await securityEventDelivered(message.payload)  // given up: the boot reason must not stick for ever
            }
            return
        }
        logger.warning("\(failure); attempt \(attempts) of \(allowed)")
        do {
            try await outbox.setAttempts(attempts, id: message.id)
        } catch {
            logger.error("cannot record the attempt: \(error)")
        }
        // E13.FR.02: wait MessageAttemptInterval x the attempts so far.
        let interval = max(0, deviceModel.integer("OCPPCommCtrlr", "MessageAttemptInterval", instance: "TransactionEvent") ?? 10)
        try? await Task.sleep(for: .seconds(interval * attempts))
    }

    /// Waits until the outbox is delivered (by the counter: no count query per delivery during a long replay), at most
    /// `timeout` (B12.FR.04: the Ended events before a reset; what is
    /// not delivered by then stays queued and goes after the reboot, B12.FR.05).
    func waitForOutboxDelivered(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, session != nil, !Task.isCancelled, queuedCount > 0 {
            await deliveredWakeup.wait(until: deadline)
        }
    }
}
