/// A syntax error: printed as `FILE:LINE:COL: error: MESSAGE`, exit status 1, nothing run.
public struct SyntaxError: Error, CustomStringConvertible, Sendable {
    /// Where the error is: file as given, 1-based line and column.
    public let file: String
    public let line: Int
    public let column: Int
    /// What is wrong, in one line.
    public let message: String

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// One interpreted frame of a traceback.
public struct TraceFrame: Sendable, Equatable {
    /// The function (or `<module>`), its file and the line being executed.
    public let function: String
    public let file: String
    public let line: Int
}

/// A runtime error: `FILE:LINE: error: MESSAGE`, then the interpreted frames, innermost last.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in one line.
    public let message: String
    /// Outermost first.
    public var frames: [TraceFrame]

    /// Tracebacks longer than this show their outermost and innermost frames only.
    static let fullTracebackLimit = 100
    static let shownAtEachEnd = 20

    public var description: String {
        let innermost = frames.last
        var lines = ["\(innermost?.file ?? "<unknown>"):\(innermost?.line ?? 0): error: \(message)"]
        func render(_ frame: TraceFrame) -> String { "  at \(frame.function) (\(frame.file):\(frame.line))" }
        if frames.count <= Self.fullTracebackLimit {
            lines += frames.map(render)
        } else {
            lines += frames.prefix(Self.shownAtEachEnd).map(render)
            lines.append("  ... \(frames.count - 2 * Self.shownAtEachEnd) more frames ...")
            lines += frames.suffix(Self.shownAtEachEnd).map(render)
        }
        return lines.joined(separator: "\n")
    }
}
