// swift-tools-version: 6.1
// libFuzzer targets (issue 16). A package of their own, because they are linked with
// -sanitize=fuzzer (libFuzzer supplies main) and that flag belongs on a command line, never in a
// manifest: Scripts/fuzz.sh builds and runs them; `swift build` of the main package never sees them.
import PackageDescription

let package = Package(
    name: "PerfTrampolineFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PerfTrampoline", path: ".."),
    ],
    targets: [
        // The toy front end: lexer, parser (nesting limit), compiler.
        .executableTarget(name: "FuzzFrontEnd", dependencies: ["FuzzDriver", .product(name: "ToyVM", package: "PerfTrampoline")]),
        // Symbol names through the sanitiser and the perf-map line encoder.
        .executableTarget(name: "FuzzSymbolNames", dependencies: ["FuzzDriver", .product(name: "PerfTrampoline", package: "PerfTrampoline")]),
        // jitdump records, encoded and read back by an independent reader.
        .executableTarget(name: "FuzzJitDump", dependencies: [
            "FuzzDriver", .product(name: "PerfTrampoline", package: "PerfTrampoline"), "TestSupport",
        ]),
        // Hands argv to libFuzzer's driver (SwiftPM binds `main` to each target's top-level code).
        .target(name: "FuzzDriver"),
        // The tests' independent jitdump reader (Sources/TestSupport links to ../Tests/TestSupport).
        .target(name: "TestSupport"),
    ]
)
