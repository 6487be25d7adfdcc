import Logging

// The full-Swift front: the parts of the public API that take a swift-log `Logger`. Everything
// else in the module is the core, which also compiles with Embedded Swift for the C library
// (issue 26), where swift-log and existentials do not exist; warnings reach the core through a
// `WarningSink` closure.
extension PerfSupport {
    /// Reads the host's conventional switches (see ``ProfilingMode/requested(arguments:environment:)``)
    /// and activates what they ask for.
    ///
    /// Never throws and never stops the host: a bad `PERFSUPPORT` value or a setup failure is
    /// logged once as a warning (through `logger`, stderr by default) and profiling stays off.
    ///
    /// - Returns: the mode in force afterwards.
    @discardableResult
    public func configure(arguments: [String], environment: [String: String], logger: Logger? = nil) -> ProfilingMode {
        if let logger { setLogger(logger) }
        return applyConfiguration(arguments: arguments, perfSupport: environment.value(of: "PERFSUPPORT"),
                                  signalSwitch: environment.value(of: "PERFTRAMPOLINE_SIGNAL"))
    }

    /// Sets the logger that receives the library's warnings (default: one line on stderr,
    /// `perftrampoline: warning: …`).
    public func setLogger(_ logger: Logger) {
        setWarningSink(WarningSink { logger.warning("\($0)") })
    }
}
