// swift-tools-version:5.9
// The Onsite Swift package: the Rust core as an XCFramework (built by
// build-xcframework.sh), uniffi's generated Swift (Sources/Onsite/Generated,
// written by ../scripts/bindings.sh) and a thin async API.
import PackageDescription

let package = Package(
    name: "Onsite",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Onsite", targets: ["Onsite"]),
    ],
    targets: [
        // Static libonsite_ffi for device, simulators and macOS, with the C header
        // and module map of the `OnsiteFFI` module the generated Swift imports.
        .binaryTarget(name: "OnsiteFFI", path: "OnsiteFFI.xcframework"),
        .target(
            name: "Onsite",
            dependencies: ["OnsiteFFI"],
            path: "Sources/Onsite"
        ),
        .testTarget(
            name: "OnsiteTests",
            dependencies: ["Onsite"],
            path: "Tests/OnsiteTests"
        ),
    ]
)
