// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// Linux only: the database layer waits on sockets with epoll and the shims use Glibc, so no
// Apple platform is claimed.
let package = Package(
    name: "gatehouse",
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"]),
        // For the benchmarks in deploy/bench, which are a package of their own.
        .library(name: "GatehousePostgres", targets: ["GatehousePostgres"]),
        .library(name: "GatehouseCore", targets: ["GatehouseCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.1.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        // NIOHTTPTypes: the request parts the slow-client guard sees after Hummingbird's decoder.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        // Only for NIOSSL's certificate and key types, which HummingbirdTLS's configuration takes.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.0.0"),
    ],
    targets: [
        // C shims
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),

        // Database layer: our Swift API over libpq.
        .target(
            name: "GatehousePostgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Domain: tenants, environments, users, passwords, keys, tokens.
        .target(
            name: "GatehouseCore",
            dependencies: [
                "CArgon2",
                "GatehousePostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // HTTP surface.
        .target(
            name: "GatehouseHTTP",
            dependencies: [
                "GatehouseCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("OpenAPI/openapi.json"), .copy("Console/Assets")],
            swiftSettings: swiftSettings
        ),

        // Command line.
        .target(
            name: "GatehouseCLI",
            dependencies: [
                "GatehouseCore",
                "GatehouseHTTP",
                "GatehousePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "GatehouseCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // The resource-server guide in Swift (docs/guides), which the guides test runs.
        .executableTarget(
            name: "gatehouse-verify-example",
            dependencies: [.product(name: "JWTKit", package: "jwt-kit")],
            path: "docs/guides/swift",
            swiftSettings: swiftSettings
        ),

        // Tests
        .target(
            name: "GatehouseTestSupport",
            dependencies: ["GatehouseCore", "GatehousePostgres", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/GatehouseTestSupport",
            swiftSettings: swiftSettings
        ),
        // Unit tests: no PostgreSQL, seconds to run (`swift test --filter GatehouseUnitTests`).
        .testTarget(
            name: "GatehouseUnitTests",
            dependencies: [
                "GatehouseCore",
                "GatehouseHTTP",
                "GatehousePostgres",
                "GatehouseTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The suites below run against the PostgreSQL the test command starts.
        .testTarget(
            name: "GatehousePostgresTests",
            dependencies: ["GatehousePostgres", "GatehouseTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: [
                "GatehouseCore",
                "GatehouseTestSupport",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseHTTPTests",
            dependencies: [
                "GatehouseCore",
                "GatehouseHTTP",
                "GatehouseTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCLITests",
            dependencies: ["GatehouseCLI", "GatehouseCore", "GatehousePostgres", "GatehouseTestSupport"],
            exclude: ["Scripts"],
            swiftSettings: swiftSettings
        ),
    ]
)
