// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "accessledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "accessledger", targets: ["accessledger"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libpq, imported through a thin shim header; links "pq" directly (no pkg-config needed).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
        // A small, safe Swift face over libpq.
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        // The domain: names, roles, events, rules and projections. Pure Swift, no I/O.
        .target(name: "AccessModel"),
        // The PostgreSQL event store, projections, migrations and the embedded cluster.
        .target(
            name: "LedgerStore",
            dependencies: [
                "PostgresClient", "AccessModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the CLI and the HTTP service share: JSON shapes, input parsing, token secrets.
        .target(
            name: "LedgerService",
            dependencies: [
                "LedgerStore", "AccessModel", "PostgresClient",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "accessledger",
            dependencies: [
                "LedgerService", "LedgerStore", "AccessModel", "PostgresClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // tools/bench: the benchmark harness (a seeded generator, measurements, baselines).
        .executableTarget(
            name: "accessledger-bench",
            dependencies: ["LedgerStore", "AccessModel", "PostgresClient"],
            path: "Sources/accessledger-bench"),
        // Test helpers: throwaway databases on the cluster that tools/test starts.
        .target(
            name: "TestSupport", dependencies: ["LedgerStore", "PostgresClient", "AccessModel"],
            path: "Tests/TestSupport"),
        .testTarget(name: "AccessModelTests", dependencies: ["AccessModel"]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: [
                "LedgerStore", "PostgresClient", "AccessModel", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "CLITests", dependencies: ["LedgerStore", "PostgresClient", "AccessModel", "TestSupport"]),
    ]
)
