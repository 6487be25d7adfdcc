#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on what, and errno.
struct SystemCallError: Error, CustomStringConvertible {
    let call: String
    let subject: String
    let code: Int32

    var description: String {
        let reason = reasonText
        return subject.isEmpty ? "\(call) failed: \(reason)" : "\(call) \(subject) failed: \(reason)"
    }
}

extension SystemCallError {
    /// mprotect(PROT_EXEC) refused by policy (MDWE, seccomp, SELinux), not by a bad argument.
    var refusesExecutableMemory: Bool { call.sameBytes(as: "mprotect") && (code == EACCES || code == EPERM) }
    /// `open` met a symbolic link under `O_NOFOLLOW`.
    var isSymbolicLink: Bool { code == ELOOP }
    /// A non-blocking `open` for writing met a FIFO with no reader.
    var isFIFOWithoutReader: Bool { code == ENXIO }
    /// The reason, as `strerror` words it.
    var reasonText: String { String(cString: strerror(code)) }

    /// A call that failed without setting errno (a library's own status code).
    static func invalid(_ call: String) -> SystemCallError { SystemCallError(call: call, subject: "", code: EINVAL) }
}

