// C11: ClearCache. Accepted when the cache was cleared (C11.FR.03); Rejected when AuthCacheCtrlr.Enabled is false
// (C11.FR.04) or the clearing failed (C11.FR.05). The Local Authorization List is not touched (D01.FR.09).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func clearCache(_ request: ClearCacheRequest) async -> ClearCacheResponse {
        guard AuthorizationSettings(deviceModel).cacheEnabled else {
            return ClearCacheResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "NotEnabled"))
        }
        do {
            try await authorizationStore.clearAuthorizationCache()
        } catch {
            logger.error("cannot clear the authorization cache: \(error)")
            return ClearCacheResponse(status: .rejected, statusInfo: StatusInfoType(reasonCode: "InternalError"))
        }
        localAuthorization.cache.clear()
        logger.info("ClearCache: the authorization cache is empty")
        return ClearCacheResponse(status: .accepted)
    }
}
