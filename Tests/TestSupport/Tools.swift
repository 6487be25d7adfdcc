import Foundation

/// Where the tests find the tools they run (clang, gcc, unshare, qemu…).
public enum Tools {
    /// `name` on PATH; else beside the real `swiftc` (Debian's swiftlang keeps clang, lld and
    /// the LLVM tools in /usr/libexec/swift/bin, off PATH); else /usr/bin or /opt/swift/usr/bin.
    public static func find(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let toolchain = path.map { "\($0)/swiftc" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            .map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().path }
        return (path + [toolchain].compactMap { $0 } + ["/usr/bin", "/opt/swift/usr/bin"])
            .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
