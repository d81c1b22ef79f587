// How the station answers CALLs from the CSMS: each functional block lists the actions it handles in its own folder
// (`DeviceModel/DeviceModelRoutes.swift`, `Transactions/TransactionRoutes.swift` ...), and `ChargingStation.routes`
// composes the blocks, one line each. Adding an operation touches only its block; adding a block adds one line.
internal import OCPPMessages

/// One action a block answers: the payload is validated against the action's schema and decoded, then the block's
/// handler runs on the station's actor.
struct ActionRoute: Sendable {
    let action: OCPPAction
    let handle: @Sendable (isolated ChargingStation, JSONValue) async throws -> CallReply

    /// A handler whose response is all there is to do.
    static func reply<Request: OCPPRequest>(
        _: Request.Type,
        _ body: @escaping @Sendable (isolated ChargingStation, Request) async throws -> Request.Response
    ) -> ActionRoute {
        ActionRoute(action: Request.action) { station, payload in
            let request: Request = try decodeRequest(payload)
            return CallReply(payload: try await body(station, request).toJSON())
        }
    }

    /// A handler with work that must wait until its response is on the wire (a triggered message goes after the
    /// TriggerMessageResponse, F06.FR.04; a reset after the ResetResponse).
    static func replyThenRun<Request: OCPPRequest>(
        _: Request.Type,
        _ body: @escaping @Sendable (isolated ChargingStation, Request) async throws -> (Request.Response, (@Sendable () async -> Void)?)
    ) -> ActionRoute {
        ActionRoute(action: Request.action) { station, payload in
            let request: Request = try decodeRequest(payload)
            let (response, followUp) = try await body(station, request)
            return CallReply(payload: response.toJSON(), afterSent: followUp)
        }
    }
}

/// Validates and decodes a CALL's payload; a payload the schema refuses becomes the CALLERROR Part 4 §4.3 names.
private func decodeRequest<Request: OCPPRequest>(_ payload: JSONValue) throws -> Request {
    do {
        return try Request(validating: payload)
    } catch {
        throw OCPPCallError(error.code, "\(error.path.isEmpty ? "payload" : error.path): \(error.reason)")
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
