// D01: SendLocalList. A Full update replaces the list (D01.FR.04/15), a Differential one adds, updates and removes
// entries (D01.FR.16/17) and needs a newer version (D01.FR.19: VersionMismatch). The list is on disk before
// Accepted is answered (D01.FR.10); a list beyond LocalAuthListCtrlr.Entries' maxLimit, or a request beyond
// ItemsPerMessage (D01.FR.11), is Failed and changes nothing.
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func sendLocalList(_ request: SendLocalListRequest) async -> SendLocalListResponse {
        let settings = AuthorizationSettings(deviceModel)
        guard settings.listEnabled else {
            return SendLocalListResponse(status: .failed, statusInfo: StatusInfoType(reasonCode: "NotEnabled"))
        }
        // D01.FR.11: LocalAuthListCtrlr.BytesPerMessage bounds one request.
        if let limit = deviceModel.integer("LocalAuthListCtrlr", "BytesPerMessage"), request.toJSON().serialized().utf8.count > limit {
            return SendLocalListResponse(status: .failed, statusInfo: StatusInfoType(reasonCode: "TooLargeElement"))
        }
        let change: LocalAuthorizationList.Change
        switch localAuthorization.list.change(for: request, maxEntries: settings.listMaxEntries, itemsPerMessage: settings.listItemsPerMessage) {
        case .failure(let refusal):
            logger.info("SendLocalList \(request.updateType.rawValue) v\(request.versionNumber): \(refusal.status.rawValue) (\(refusal.reasonCode))")
            return SendLocalListResponse(
                status: refusal.status, statusInfo: StatusInfoType(reasonCode: refusal.reasonCode, additionalInfo: refusal.additionalInfo))
        case .success(let accepted):
            change = accepted
        }
        do {
            try await authorizationStore.updateLocalAuthorizationList(
                version: change.version, replacing: change.replacing, saving: change.saved, removing: change.removed)
        } catch {
            logger.error("cannot persist the local authorization list: \(error)")
            return SendLocalListResponse(status: .failed, statusInfo: StatusInfoType(reasonCode: "InternalError"))
        }
        localAuthorization.list.apply(change)
        logger.info("SendLocalList \(request.updateType.rawValue): version \(change.version), \(localAuthorization.list.entries.count) entries")
        return SendLocalListResponse(status: .accepted)
    }
}
