// Block M (the parts without ISO 15118): the station's trust stores, CSMSRootCertificate and
// ManufacturerRootCertificate.
internal import OCPPMessages

extension ChargingStation {
    static let certificateManagementRoutes: [ActionRoute] = [
        .reply(InstallCertificateRequest.self) { station, request in await station.installCertificate(request) },
        .reply(GetInstalledCertificateIdsRequest.self) { station, request in await station.getInstalledCertificateIds(request) },
        .reply(DeleteCertificateRequest.self) { station, request in await station.deleteCertificate(request) },
    ]
}
