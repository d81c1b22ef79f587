// F06: TriggerMessage. The triggered message goes out after the TriggerMessageResponse (F06.FR.04); while the
// boot is Pending the CSMS may still trigger messages (B02.FR.02).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func triggerMessage(_ request: TriggerMessageRequest) -> (TriggerMessageResponse, (@Sendable () async -> Void)?) {
        // F06.FR.03: the message leads; an evse is only looked at where it means something (StatusNotification,
        // MeterValues, TransactionEvent), and ignored for the others, which are still sent.
        let relevant: Set<MessageTriggerEnumType> = [.statusNotification, .meterValues, .transactionEvent]
        let evseId = relevant.contains(request.requestedMessage) ? request.evse?.id : nil
        let connectorId = relevant.contains(request.requestedMessage) ? request.evse?.connectorId : nil
        if let evseId {
            guard let evse = board.evses.first(where: { $0.id == evseId }),
                connectorId.map({ id in evse.connectors.contains { $0.id == id } }) ?? true
            else {
                return (TriggerMessageResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "UnknownEvse")), nil)
            }
        }
        switch request.requestedMessage {
        case .bootNotification:
            // F06.FR.17: no BootNotification on request once accepted.
            if boot.registration == .accepted {
                return (TriggerMessageResponse(status: .rejected), nil)
            }
        case .heartbeat, .statusNotification, .firmwareStatusNotification, .logStatusNotification, .meterValues:
            break
        case .transactionEvent:
            // F06.FR.07: for the ongoing transactions (of the EVSE, when one is named); none: Rejected.
            guard engine.sessions.values.contains(where: { $0.transaction != nil && (evseId == nil || $0.evseId == evseId) }) else {
                return (TriggerMessageResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "NoTransaction")), nil)
            }
            let sink = inputSink
            return (TriggerMessageResponse(status: .accepted), { sink.yield(.triggeredTransactionEvent(evse: evseId)) })
        case .signChargingStationCertificate:
            // A02.FR.02: the key pair and CSR after the TriggerMessageResponse (Security/SignCertificate.swift).
            break
        case .signV2GCertificate, .signCombinedCertificate, .publishFirmwareStatusNotification:
            // F06.FR.08: no ISO 15118 stack, so no V2G certificate; a firmware-publishing local controller this
            // station is not.
            return (TriggerMessageResponse(status: .notImplemented), nil)
        }
        let sink = signalSink
        let message = request.requestedMessage
        return (TriggerMessageResponse(status: .accepted), { sink.yield(.trigger(message, evseId: evseId, connectorId: connectorId)) })
    }

    func sendTriggered(_ message: MessageTriggerEnumType, evseId: Int?, connectorId: Int?, _ rpc: RPCSession) async throws {
        // The boot state when the message would go decides, not the one when TriggerMessage was answered: a
        // BootNotification answered Rejected in between holds it back (B02.FR.02, B03.FR.02).
        guard boot.maySendTriggered || message == .bootNotification else {
            logger.info("triggered \(message.rawValue) not sent: the boot is \(boot.registration)")
            return
        }
        switch message {
        case .bootNotification:
            if boot.registration != .accepted { try await sendBootNotification(rpc) }
        case .heartbeat:
            await sendHeartbeat(rpc)
        case .statusNotification:
            // Triggered: send even when unchanged (F06.FR.12: the current status of the requested connectors).
            for key in connectorKeys where evseId.map({ $0 == key.evse }) ?? true {
                if let connectorId, connectorId != key.connector { continue }
                _ = await sendStatusNotification(key, connectorStatus(key), rpc)
            }
        case .firmwareStatusNotification:
            // F06.FR.?: no firmware update in progress: Idle.
            do { _ = try await rpc.call(FirmwareStatusNotificationRequest(status: .idle), timeout: messageTimeout) } catch {
                logger.warning("FirmwareStatusNotification failed: \(error)")
            }
        case .meterValues:
            // F06.FR.06: the latest values of AlignedDataMeasurands, context Trigger.
            let measurands = TransactionSettings(deviceModel).alignedMeasurands
            for evse in board.evses.map(\.id) where evseId.map({ $0 == evse }) ?? true {
                await sendMeterValues(evse: evse, measurands, context: .trigger, rpc)
            }
        case .signChargingStationCertificate:
            await renewStationCertificate(rpc, reason: "TriggerMessage SignChargingStationCertificate")
        case .logStatusNotification:
            do { _ = try await rpc.call(LogStatusNotificationRequest(status: .idle), timeout: messageTimeout) } catch {
                logger.warning("LogStatusNotification failed: \(error)")
            }
        default:
            break
        }
    }
}
