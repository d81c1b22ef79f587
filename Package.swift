// swift-tools-version: 6.1
// ocpp-station: an OCPP 2.0.1 charging-station agent and embeddable library.
//
// Dependencies point inward only:
//   OCPPMessages (generated types, OCPP-J framing, validation; no I/O)
//     <- OCPPStation (station behaviour, one folder per functional block; talks through ports only)
//       <- OCPPStationWebSocket / OCPPStationStorage / OCPPStationHardware (backends)
//         <- OCPPStationKit (wiring; the library a manufacturer embeds)
//           <- station-agent (thin executable)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// swift-certificates' X509 imports the CoreFoundation C module on Linux (not Foundation: nothing of it is linked, see
// README "Connecting securely"). In a release build (cross-module optimization) every target above OCPPStation loads
// it, and Clang then attributes glibc's `struct stat` to CoreFoundation, which MemberImportVisibility refuses unless
// CoreFoundation is imported. The targets that call stat() go without that one check rather than import it.
let statUsingSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ocpp-station",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "OCPPMessages", targets: ["OCPPMessages"]),
        .library(name: "OCPPStation", targets: ["OCPPStation"]),
        .library(name: "OCPPStationHardware", targets: ["OCPPStationHardware"]),
        .library(name: "OCPPStationKit", targets: ["OCPPStationKit"]),
        .executable(name: "station-agent", targets: ["station-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        // X.509, keys and CSRs for the station's certificates (A02, A03, M03-M05); FoundationEssentials only.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // The OCPP 2.0.1 message layer: generated message types, JSON, OCPP-J frames, schema validation. No I/O.
        .target(
            name: "OCPPMessages",
            exclude: ["Schemas"],
            swiftSettings: swiftSettings
        ),
        // The station's behaviour. No NIO, no files, no sockets: only the ports in Ports/.
        .target(
            name: "OCPPStation",
            dependencies: [
                "OCPPMessages",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Certificates are values, not I/O: parsing, CSRs, chain checks and hash data live in Security/.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // OCPP-J over WebSocket (SwiftNIO + swift-websocket's WSCore), TLS with swift-nio-ssl.
        .target(
            name: "OCPPStationWebSocket",
            dependencies: [
                "OCPPStation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "WSCore", package: "swift-websocket"),
                // RFC 7692 permessage-deflate; its extension negotiation speaks HTTPTypes' header fields.
                .product(name: "WSCompression", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system's SQLite (libsqlite3), through its C API. A system library rather than the amalgamation as a C
        // target: the OS keeps it patched, and it does not add 9 MB of C to every build.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // Durable station state and the durable outbox in SQLite (WAL, synchronous=FULL), through a small typed layer
        // over the C API (no Foundation).
        .target(
            name: "OCPPStationStorage",
            dependencies: ["OCPPStation", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        // Debian's libmodbus (libmodbus-dev): Modbus RTU framing, CRC, timeouts, exception responses for the meters.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"]), .brew(["libmodbus"])]
        ),
        // libgpiod (libgpiod-dev), the v1 API of Debian 12 and Raspberry Pi OS: GPIO lines for contactors, locks, RCD,
        // e-stop and LEDs.
        .systemLibrary(
            name: "CGPIOD",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),
        // Hardware backends behind the BoardHardware port: board files and the simulated board.
        .target(
            name: "OCPPStationHardware",
            dependencies: [
                "OCPPStation",
                "OCPPMessages",
                "CModbus",
                "CGPIOD",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: statUsingSwiftSettings
        ),
        // Wiring: files and flags in, a running station out. What a manufacturer embeds.
        .target(
            name: "OCPPStationKit",
            dependencies: [
                "OCPPMessages",
                "OCPPStation",
                "OCPPStationWebSocket",
                "OCPPStationStorage",
                "OCPPStationHardware",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: statUsingSwiftSettings
        ),
        // Storage benchmarks for `make bench`: durable enqueue rate against raw SQLite, and pre-filled outboxes.
        .executableTarget(
            name: "station-bench",
            dependencies: ["OCPPStationStorage", "OCPPStation", "OCPPMessages", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "station-agent",
            dependencies: [
                "OCPPStationKit",
                "OCPPStation",
                "OCPPStationHardware",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OCPPMessagesTests",
            dependencies: ["OCPPMessages"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OCPPStationTests",
            dependencies: [
                "OCPPStation", "OCPPMessages",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OCPPStationBackendTests",
            dependencies: [
                "OCPPStationKit", "OCPPStationStorage", "OCPPStationHardware", "OCPPStation", "OCPPMessages",
                // Built for the storage tests, which kill its `write-until-killed` with SIGKILL.
                "station-bench",
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
