// B01: BootNotification, built from the device model's ChargingStation identity.
internal import OCPPMessages

extension ChargingStation {
    func bootNotificationRequest() -> BootNotificationRequest {
        // B01.FR.09: the reason says why the station (re)booted.
        BootNotificationRequest(
            chargingStation: ChargingStationType(
                serialNumber: deviceModel.string("ChargingStation", "SerialNumber").flatMap { $0.isEmpty ? nil : String($0.prefix(25)) },
                model: String((deviceModel.string("ChargingStation", "Model") ?? "").prefix(20)),
                vendorName: String((deviceModel.string("ChargingStation", "VendorName") ?? "").prefix(50)),
                firmwareVersion: deviceModel.string("ChargingStation", "FirmwareVersion").flatMap { $0.isEmpty ? nil : String($0.prefix(50)) }
            ),
            reason: bootReason)
    }
}
