// swift-tools-version: 6.1
import PackageDescription

// No unsafeFlags anywhere: users depend on this package by version, and SwiftPM refuses
// unsafe flags in versioned dependencies. Frame pointers come from SwiftPM's own defaults
// (it passes -fno-omit-frame-pointer on Linux in debug and release).
let package = Package(
    name: "PerfTrampoline",
    platforms: [.macOS(.v15)],  // the Synchronization module (Atomic, Mutex)
    products: [
        .library(name: "PerfTrampoline", targets: ["PerfTrampoline"]),
        // For C hosts outside SwiftPM: Scripts/install.sh builds these into lib/ (see README).
        .library(name: "perftrampoline", type: .dynamic, targets: ["PerfTrampoline"]),
        .library(name: "perftrampoline-static", type: .static, targets: ["PerfTrampoline"]),
        // The toy VM, for the fuzzing package (Fuzz/). The executables (toyvm, perf-flamegraph,
        // the examples and probes) are not products: dependents do not need them, and in this
        // package `swift build --product toyvm` / `swift run perf-flamegraph` still work.
        .library(name: "ToyVM", targets: ["ToyVM"]),
    ],
    // The ffi backend (libffi closures) runs where neither the asm nor the C stub does, but perf
    // cannot name its frames (Docs/backends.md). Off by default, so that dependents need no
    // libffi-dev; enable it with `traits: ["FFIBackend"]` on the dependency, or `--traits FFIBackend`.
    traits: [
        .trait(name: "FFIBackend", description: "Build the libffi-closure backend (needs libffi-dev / brew libffi)."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libffi, for the "ffi" backend (architectures with neither asm nor a working C stub).
        .systemLibrary(name: "CFFI", pkgConfig: "libffi", providers: [.apt(["libffi-dev"]), .brew(["libffi"])]),
        // The public C API: perftrampoline.h (installed for C hosts) and the fast path's flag it
        // declares. Apart from CShims, the library's private native pieces.
        .target(name: "CPerfTrampoline"),
        .target(name: "CShims", dependencies: ["CPerfTrampoline",
                                               .target(name: "CFFI", condition: .when(traits: ["FFIBackend"]))],
                path: "CShims",
                cSettings: [.define("PERFTRAMPOLINE_FFI_BACKEND", .when(traits: ["FFIBackend"]))]),
        .target(
            name: "PerfTrampoline",
            dependencies: ["CPerfTrampoline", "CShims", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "ToyVM",
            dependencies: ["PerfTrampoline", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(name: "toyvm", dependencies: ["ToyVM"]),
        // perf script → "hottest functions with callers" + flame graph SVG (Scripts/profile.sh).
        .target(name: "FlameGraph"),
        .executableTarget(name: "perf-flamegraph", dependencies: ["FlameGraph"]),
        // A C interpreter embedding the library through its C API (built and tested in CI).
        .executableTarget(name: "CEmbeddingExample", dependencies: ["PerfTrampoline", "CPerfTrampoline"],
                          path: "Examples/CEmbedding"),
        // Test program: a thread stack mapped right below the jitdump arena (JitDumpTests).
        .executableTarget(name: "StackLayoutProbe", dependencies: ["PerfTrampoline", "CPerfTrampoline"],
                          path: "Tests/StackLayoutProbe"),
        // Test program: fork children killed while copying 100k entries, entries across fork (ForkTests).
        .executableTarget(name: "ForkProbe", dependencies: ["PerfTrampoline", "CPerfTrampoline"],
                          path: "Tests/ForkProbe"),
        .testTarget(name: "FlameGraphTests", dependencies: ["FlameGraph"]),
        // Helpers shared by the test targets (a jitdump reader); in no product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PerfTrampolineTests", dependencies: ["PerfTrampoline", "CShims", "TestSupport"]),
        .testTarget(name: "ToyVMTests", dependencies: ["ToyVM", "PerfTrampoline", "TestSupport", "FlameGraph"],
                    exclude: ["Programs"]),
    ]
)
