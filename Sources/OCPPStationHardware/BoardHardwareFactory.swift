// From a board file to a running backend.
public import Logging
public import NIOCore
public import OCPPStation

extension BoardConfiguration {
    /// The backend for this board's HAL. `dataDirectory` holds hardware state that outlives the agent
    /// (for the simulated board: `sim-board.json` and the control socket `sim.sock`).
    public func makeHardware(
        dataDirectory: String, eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "ocpp-station.board")
    ) throws -> any BoardHardware {
        switch hal {
        case .sim:
            return try SimulatedBoard(
                configuration: self, dataDirectory: dataDirectory, eventLoopGroup: eventLoopGroup, logger: logger)
        }
    }

    /// The files the board's backend may keep in the data directory, beside the agent's own.
    public var dataDirectoryFileNames: [String] {
        switch hal {
        case .sim: return SimulatedBoard.dataDirectoryFileNames
        }
    }
}

extension SimulatedBoard {
    /// What the simulated board keeps in the data directory: its state file and its control socket.
    public static let dataDirectoryFileNames = [stateFileName, socketFileName]
    /// A temp file that only a crash or power cut between write and rename leaves behind; `init` removes it.
    public static let leftoverFileNames = [stateFileName + ".tmp"]
}
