// B09: SetNetworkProfile. The profile is checked (B09.FR.02/04/05), stored in its slot (B09.FR.01, Failed when that
// fails, B09.FR.03), and used when NetworkConfigurationPriority names it at the next connection (B10).
internal import OCPPMessages
internal import Logging

extension ChargingStation {
    func setNetworkProfile(_ request: SetNetworkProfileRequest) async -> SetNetworkProfileResponse {
        let slot = request.configurationSlot
        let profile = request.connectionData
        if let (reasonCode, text) = networkProfiles.refusal(
            of: profile, slot: slot, allowedSlots: allowedSlots, urlProblem: transportURLProblem)
        {
            logger.info("SetNetworkProfile slot \(slot) rejected: \(text)")
            return SetNetworkProfileResponse(
                status: .rejected, statusInfo: StatusInfoType(reasonCode: reasonCode, additionalInfo: String(text.prefix(512))))
        }
        do {
            try await store.setValue(profile.toJSON().serialized(), forKey: ConnectionKeys.slot(slot))
        } catch {
            logger.error("cannot store network connection profile \(slot): \(error)")
            return SetNetworkProfileResponse(status: .failed, statusInfo: StatusInfoType(reasonCode: "InternalError"))
        }
        networkProfiles.store(profile, slot: slot)
        logger.info("network connection profile \(slot) stored: \(profile.ocppCsmsUrl), security profile \(profile.securityProfile)")
        await securityEvent("ReconfigurationOfSecurityParameters", techInfo: "network connection profile \(slot) set")
        return SetNetworkProfileResponse(status: .accepted)
    }
}
