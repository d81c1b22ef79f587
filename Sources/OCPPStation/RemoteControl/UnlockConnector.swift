// F05: UnlockConnector. UnknownConnector for a connector the station does not have (F05.FR.03);
// OngoingAuthorizedTransaction, without unlocking, while an authorized transaction runs on it (F05.FR.02); otherwise
// the lock is released, cable or not (F05.FR.06), and the answer says whether that worked (F05.FR.04/05).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func unlockConnector(_ request: UnlockConnectorRequest) async -> UnlockConnectorResponse {
        guard let evse = board.evses.first(where: { $0.id == request.evseId }),
            evse.connectors.contains(where: { $0.id == request.connectorId })
        else {
            return UnlockConnectorResponse(status: .unknownConnector)
        }
        if let session = engine.session(request.evseId), session.transaction != nil, session.authorization != nil {
            return UnlockConnectorResponse(status: .ongoingAuthorizedTransaction)
        }
        do {
            try await board.setConnectorLock(evse: request.evseId, connector: request.connectorId, locked: false)
            logger.info("UnlockConnector: EVSE \(request.evseId) connector \(request.connectorId) unlocked")
            return UnlockConnectorResponse(status: .unlocked)
        } catch {
            logger.warning("UnlockConnector: EVSE \(request.evseId): \(error)")
            return UnlockConnectorResponse(status: .unlockFailed, statusInfo: StatusInfoType(reasonCode: "Unspecified"))
        }
    }
}
