// swift-tools-version: 6.1
// A separate package that depends on PerfTrampoline the way an interpreter's package would:
// by path here, by URL in yours —
//   .package(url: "https://github.com/<owner>/PerfTrampoline", from: "1.1.0")
import PackageDescription

let package = Package(
    name: "SwiftEmbedding",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PerfTrampoline", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "SwiftEmbeddingExample",
            dependencies: [.product(name: "PerfTrampoline", package: "PerfTrampoline")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
