/// Why profiling could not be switched on, or an entry not written: what failed, and, when a
/// system call failed, which call, its errno and the file it was about.
///
/// ```swift
/// do {
///     try PerfSupport.shared.activate(.jitDump)
/// } catch {
///     print(error.kind, error.errno ?? 0, error.path ?? "-", error)  // .setupFailed 13 /tmp/jit-42.dump …
/// }
/// ```
public struct PerfSupportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The mode name is not one of `perf`, `jitdump`, `off`.
        case unknownMode
        /// No trampoline backend works on this machine (or none that the mode needs).
        case unsupported
        /// A system call failed while setting up or writing (mmap, mprotect, open, write…).
        case setupFailed
        /// An argument was not acceptable (an entry of size 0); nothing was switched off.
        case invalidArgument
    }

    public let kind: Kind
    /// One line saying what happened (without the kind's prefix).
    public let reason: String
    /// The system call that failed (`open`, `mmap`, `mprotect`, `write`…), if one did.
    public let systemCall: String?
    /// Its errno, if a system call failed.
    public let errno: Int32?
    /// The file it was about, if any.
    public let path: String?

    init(_ kind: Kind, _ reason: String, cause: SystemCallError? = nil) {
        self.kind = kind
        self.reason = reason
        systemCall = cause?.call
        errno = cause?.code
        path = cause.flatMap { $0.subject.startsWithBytes("/") ? $0.subject : nil }
    }

    /// The mode name `name` is not one of `perf`, `jitdump`, `off`.
    public static func unknownMode(_ name: String) -> PerfSupportError { PerfSupportError(.unknownMode, name.escapingLineBreakers) }

    static func unsupported(_ reason: String) -> PerfSupportError { PerfSupportError(.unsupported, reason) }
    static func setupFailed(_ reason: String, cause: SystemCallError? = nil) -> PerfSupportError {
        PerfSupportError(.setupFailed, reason, cause: cause)
    }
    static func setupFailed(_ refusal: OwnedFile.Refusal) -> PerfSupportError {
        PerfSupportError(.setupFailed, refusal.description, cause: refusal.underlying)
    }
    static func invalidArgument(_ reason: String) -> PerfSupportError { PerfSupportError(.invalidArgument, reason) }

    public var description: String {
        switch kind {
        case .unknownMode: "unknown profiling mode '\(reason)' (expected 'perf', 'jitdump' or 'off')"
        case .unsupported: "perf support is not available: \(reason)"
        case .setupFailed: "perf support disabled: \(reason)"
        case .invalidArgument: "invalid argument: \(reason)"
        }
    }
}
