// F01/F03: RequestStartTransaction / RequestStopTransaction. While the boot is Pending both are Rejected
// (B02.FR.05). The transaction engine (block E) is not in this build, so once accepted they are Rejected too,
// with a reason code saying why.
internal import OCPPMessages

extension ChargingStation {
    func requestStartTransaction(_ request: RequestStartTransactionRequest) -> RequestStartTransactionResponse {
        RequestStartTransactionResponse(
            status: .rejected,
            statusInfo: StatusInfoType(
                reasonCode: boot.registration == .accepted ? "UnsupportedRequest" : "NotAccepted",
                additionalInfo: boot.registration == .accepted ? "transactions are not supported by this build" : "boot is pending"))
    }

    func requestStopTransaction(_ request: RequestStopTransactionRequest) -> RequestStopTransactionResponse {
        RequestStopTransactionResponse(
            status: .rejected,
            statusInfo: StatusInfoType(reasonCode: boot.registration == .accepted ? "UnknownTransaction" : "NotAccepted"))
    }
}
