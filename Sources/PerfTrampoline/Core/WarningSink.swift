/// Where the library's warnings go, chosen by the front: the host's swift-log `Logger` (the
/// Swift package, SwiftFront/PerfSupport+Logging.swift) or one line on stderr (the default, and the
/// C library). A closure, not a protocol: Embedded Swift has no existentials.
struct WarningSink: @unchecked Sendable {
    let write: (String) -> Void

    /// `perftrampoline: warning: <message>`, one `write(2)` (what the swift-log handler before issue 26 printed).
    static let standardError = WarningSink { System.writeStandardError("perftrampoline: warning: \($0)\n") }
}
