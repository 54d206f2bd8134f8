// swift-tools-version: 6.1
import PackageDescription
import class Foundation.ProcessInfo
import struct Foundation.URL

/// SwiftPM names a path dependency after its directory, which differs between checkouts.
let strataPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// Strata's micro-benchmarks (ordo-one/benchmark), a separate package so the main build and CI stay lean.
/// Run from this directory: `swift package --disable-sandbox benchmark`.
let package = Package(
    name: "StrataBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "StrataBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Strata", package: strataPackage),
                .product(name: "StrataCore", package: strataPackage),
            ],
            path: "Benchmarks/StrataBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "strata-storage-bench",
            dependencies: [
                .product(name: "Strata", package: strataPackage),
                .product(name: "StrataCore", package: strataPackage),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StorageBench"
        ),
    ]
)
