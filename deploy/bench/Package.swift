// swift-tools-version:6.2
// Benchmarks of Gatehouse's parts, kept out of the main package so that they never slow
// its builds or tests. Run them through the scripts beside this file.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which differs between checkouts.
let gatehouse = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "gatehouse-bench",
    dependencies: [
        .package(path: "../.."),
        // jwt-kit's own ES256 verify rate: the ceiling of a cold verify.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "postgres-roundtrip",
            dependencies: [.product(name: "GatehousePostgres", package: gatehouse)]
        ),
        .executableTarget(
            name: "bench-population",
            dependencies: [
                .product(name: "GatehouseCore", package: gatehouse),
                .product(name: "GatehousePostgres", package: gatehouse),
            ]
        ),
        .executableTarget(
            name: "bench-realm",
            dependencies: [
                .product(name: "GatehouseCore", package: gatehouse),
                .product(name: "GatehousePostgres", package: gatehouse),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
    ]
)
