// swift-tools-version: 6.1
import PackageDescription

/// Settings every Strata target shares: Swift 6 language mode plus the upcoming features
/// that keep module boundaries explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        /// The embeddable engine: ingest, storage, compaction and query, without any network stack.
        .library(name: "Strata", targets: ["Strata"]),
        /// Pure values and codecs (line protocol, t-digest) for clients and tools.
        .library(name: "StrataCore", targets: ["StrataCore"]),
        .executable(name: "strata", targets: ["strata"]),
        .executable(name: "strata-dump", targets: ["strata-dump"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        /// The system liblz4 (`apt-get install liblz4-dev`).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        /// The only module with raw memory and syscalls: byte cursors, CRC32C, LZ4, files, mmap.
        .target(name: "StrataIO", dependencies: ["CLZ4"], swiftSettings: swiftSettings),
        /// Pure values and codecs: line protocol, t-digest, aggregates, series keys.
        .target(name: "StrataCore", dependencies: ["StrataIO"], swiftSettings: swiftSettings),
        /// The engine library.
        .target(
            name: "Strata",
            dependencies: ["StrataCore", "StrataIO", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "strata",
            dependencies: [
                "Strata", "StrataCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "strata-dump",
            dependencies: ["Strata", "StrataCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/strata-dump",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "StrataIOTests", dependencies: ["StrataIO"], swiftSettings: swiftSettings),
        .testTarget(name: "LineProtocolTests", dependencies: ["StrataCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TDigestTests",
            dependencies: ["StrataCore"],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StrataTests",
            dependencies: ["Strata", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
    ]
)
