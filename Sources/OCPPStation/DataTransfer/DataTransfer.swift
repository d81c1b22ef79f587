// P01/P02: DataTransfer in both directions. The embedding firmware registers a handler per vendorId; a request for a
// vendorId nobody registered is answered UnknownVendorId (P01.FR.05), never with a CALLERROR. The handler decides
// UnknownMessageId (P01.FR.06), Accepted or Rejected and the data (P01.FR.07).
public import OCPPMessages
internal import Logging

/// Answers the CSMS's DataTransferRequests for one vendorId.
public typealias DataTransferHandler = @Sendable (DataTransferRequest) async -> DataTransferResponse

extension ChargingStation {
    /// Registers (or with nil removes) the handler for a vendorId; it replaces an earlier one.
    public func setDataTransferHandler(vendorId: String, _ handler: DataTransferHandler?) {
        dataTransferHandlers[vendorId] = handler
    }

    func dataTransfer(_ request: DataTransferRequest) async -> DataTransferResponse {
        guard let handler = dataTransferHandlers[request.vendorId] else {
            logger.info("DataTransfer for unknown vendorId \(request.vendorId)")
            return DataTransferResponse(status: .unknownVendorId)
        }
        return await handler(request)
    }

    /// P02: a DataTransfer to the CSMS, on the current connection once the boot is accepted; throws when offline or
    /// when the CSMS does not answer within MessageTimeout.
    public func sendDataTransfer(_ request: DataTransferRequest) async throws -> DataTransferResponse {
        try await callCSMS(request)
    }

    static let dataTransferRoutes: [ActionRoute] = [
        .reply(DataTransferRequest.self) { station, request in await station.dataTransfer(request) },
    ]
}
