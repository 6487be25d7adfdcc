import Logging

/// The library's default log handler: one plain line per message on stderr,
/// `perftrampoline: warning: <message>`, written with a single `write(2)`.
///
/// swift-log's default `StreamLogHandler` prefixes a timestamp and repeats the label
/// (`… warning PerfTrampoline: [PerfTrampoline] …`); a host that wants its own format passes its
/// logger to ``PerfSupport/configure(arguments:environment:logger:)`` or
/// ``PerfSupport/setLogger(_:)``.
struct StandardErrorLogHandler: LogHandler {
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        System.writeStandardError("perftrampoline: \(event.level): \(event.message)\n")
    }

    static func logger() -> Logger {
        Logger(label: "PerfTrampoline") { _ in StandardErrorLogHandler() }
    }
}
