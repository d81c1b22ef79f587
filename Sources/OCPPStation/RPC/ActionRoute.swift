// How the station answers CALLs from the CSMS: each functional block lists the actions it handles in its own folder
// (`DeviceModel/DeviceModelRoutes.swift`, `Transactions/TransactionRoutes.swift` ...), and `ChargingStation.routes`
// composes the blocks, one line each. Adding an operation touches only its block; adding a block adds one line.
internal import OCPPMessages

/// One action a block answers: the payload is validated against the action's schema and decoded, then the block's
/// handler runs on the station's actor.
struct ActionRoute: Sendable {
    let action: OCPPAction
    let handle: @Sendable (isolated ChargingStation, RPCFrame) async throws -> CallReply

    /// A handler whose response is all there is to do.
    static func reply<Request: OCPPRequest>(
        _: Request.Type,
        _ body: @escaping @Sendable (isolated ChargingStation, Request) async throws -> Request.Response
    ) -> ActionRoute {
        ActionRoute(action: Request.action) { station, frame in
            let request: Request = try decodeRequest(frame)
            return CallReply(try await body(station, request))
        }
    }

    /// A handler with work that must wait until its response is on the wire (a triggered message goes after the
    /// TriggerMessageResponse, F06.FR.04; a reset after the ResetResponse).
    static func replyThenRun<Request: OCPPRequest>(
        _: Request.Type,
        _ body: @escaping @Sendable (isolated ChargingStation, Request) async throws -> (Request.Response, (@Sendable () async -> Void)?)
    ) -> ActionRoute {
        ActionRoute(action: Request.action) { station, frame in
            let request: Request = try decodeRequest(frame)
            let (response, followUp) = try await body(station, request)
            return CallReply(response, afterSent: followUp)
        }
    }
}

/// Validates and decodes a CALL's payload (the byte path; the tree path names any refusal); a payload the schema
/// refuses becomes the CALLERROR Part 4 §4.3 names. A frame that turns out broken only here (the byte path reads
/// the payload's JSON when decoding it) is answered by `RPCSession` as the frame error it is.
private func decodeRequest<Request: OCPPRequest>(_ frame: RPCFrame) throws -> Request {
    do {
        return try frame.decodePayload(as: Request.self)
    } catch {
        switch error {
        case .payload(let error):
            throw OCPPCallError(error.code, "\(error.path.isEmpty ? "payload" : error.path): \(error.reason)")
        case .frame(let error):
            throw OCPPCallError(error.code, error.description)
        }
    }
}

/// Every block's routes, by action. Two blocks claiming one action is a programming error, caught by the first CALL
/// in any test.
struct ActionRouter: Sendable {
    private let routes: [OCPPAction: ActionRoute]

    init(_ blocks: [[ActionRoute]]) {
        var routes: [OCPPAction: ActionRoute] = [:]
        for route in blocks.joined() {
            precondition(routes[route.action] == nil, "two blocks handle \(route.action.rawValue)")
            routes[route.action] = route
        }
        self.routes = routes
    }

    func route(for action: OCPPAction) -> ActionRoute? { routes[action] }
}
