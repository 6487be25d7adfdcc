// swift-tools-version: 6.1
// Benchmarks live in their own package so that package-benchmark and its dependencies never
// enter the build of a package that depends on PerfTrampoline.
import PackageDescription

let package = Package(
    name: "PerfTrampolineBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PerfTrampoline", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TrampolineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PerfTrampoline", package: "PerfTrampoline"),
            ],
            path: "Benchmarks/TrampolineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
