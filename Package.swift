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
        .executable(name: "strata-loadgen", targets: ["strata-loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        /// The system liblz4 (`apt-get install liblz4-dev`).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        /// The only module with raw memory and syscalls: byte cursors, CRC32C, LZ4, files, mmap.
        .target(name: "StrataIO", dependencies: ["CLZ4", "CStrataSupport"], swiftSettings: swiftSettings),
        /// Pure values and codecs: line protocol, t-digest, aggregates, series keys.
        .target(name: "StrataCore", dependencies: ["StrataIO"], swiftSettings: swiftSettings),
        // Two small C functions Swift lacks: a cache prefetch hint, and glibc allocator tuning.
        .target(name: "CStrataSupport"),
        /// The engine library.
        .target(
            name: "Strata",
            dependencies: ["StrataCore", "StrataIO", "CStrataSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        /// The system zlib, for gzip request bodies (server only).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        /// The network server: line-protocol TCP ingest (SwiftNIO), HTTP API (Hummingbird), metrics,
        /// lifecycle. The engine library never imports any of this.
        .target(
            name: "StrataServer",
            dependencies: [
                "Strata", "StrataCore", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "strata",
            dependencies: [
                "Strata", "StrataCore", "StrataServer", "CStrataSupport",
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
        /// Load generator: APIWorkload line protocol to a file, TCP ingest or an Influx /write URL.
        .executableTarget(
            name: "strata-loadgen",
            dependencies: ["StrataCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/strata-loadgen",
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
            name: "StrataServerTests",
            dependencies: [
                "StrataServer", "Strata", "StrataCore", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StrataTests",
            dependencies: ["Strata", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
    ]
)
