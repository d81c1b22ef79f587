// The agent's start-up path reads and writes its files through the package's one POSIX file helper
// (OCPPStationHardware/POSIXFiles.swift); the name stays so the start-up code reads as before.
internal import OCPPStationHardware

typealias FileAccess = POSIXFiles
