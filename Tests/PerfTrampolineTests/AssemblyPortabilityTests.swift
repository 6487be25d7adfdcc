import Foundation
import Testing
import TestSupport

/// The trampoline sources must assemble for ELF and Mach-O on both architectures, although
/// only one of the four can be linked and run here.
@Suite(.tags(.forksOrSpawns)) struct AssemblyPortabilityTests {
    static let shims = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("CShims")

    static let clang: String? = Tools.find("clang")

    @Test(arguments: [
        ("x86_64-unknown-linux-gnu", "trampoline_x86_64.S"),
        ("aarch64-unknown-linux-gnu", "trampoline_aarch64.S"),
        ("x86_64-apple-macos13", "trampoline_x86_64.S"),
        ("arm64-apple-macos13", "trampoline_aarch64.S"),
        ("aarch64-unknown-linux-gnu", "trampoline_x86_64.S"),  // the other arch's file must be empty, not an error
    ])
    func assembles(target: String, file: String) throws {
        let clang = try #require(Self.clang, "clang ships with the Swift toolchain")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tramp-\(UUID().uuidString).o").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: clang)
        process.arguments = ["-target", target, "-c", Self.shims.appendingPathComponent(file).path, "-o", output]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(target) \(file): \(message)")
        #expect(FileManager.default.fileExists(atPath: output))
    }
}
