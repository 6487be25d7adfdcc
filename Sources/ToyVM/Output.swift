#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The program's standard output: buffered (line by line on a terminal), written with
/// `write(2)`, and flushed before `fork`, `exit`, error messages and at the end of the run,
/// so no line is lost or printed twice.
final class Output {
    private var buffer: [UInt8] = []
    private let lineBuffered = isatty(STDOUT_FILENO) != 0

    init() { buffer.reserveCapacity(1 << 16) }

    func write(_ text: String) {
        buffer += text.utf8
        if lineBuffered || buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        writeAll(STDOUT_FILENO, buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes one line to standard error.
func writeError(_ text: String) {
    writeStandardError(text + "\n")
}

/// Writes `text` to standard error whole (retrying short writes and EINTR): for the VM's errors
/// and for its command line's messages alike.
public func writeStandardError(_ text: String) {
    writeAll(STDERR_FILENO, Array(text.utf8))
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return  // stdout closed (EPIPE) or full: nothing sensible left to do
            }
            offset += written
        }
    }
}
