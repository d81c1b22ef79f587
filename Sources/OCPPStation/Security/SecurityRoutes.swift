// Block A: the CALLs about the station's own certificate.
internal import OCPPMessages

extension ChargingStation {
    static let securityRoutes: [ActionRoute] = [
        .replyThenRun(CertificateSignedRequest.self) { station, request in await station.certificateSigned(request) }
    ]
}
