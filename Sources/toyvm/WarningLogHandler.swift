import Logging
import ToyVM

/// Prints library warnings the way the CLI prints everything else: `toyvm: warning: MESSAGE`.
struct WarningLogHandler: LogHandler {
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]
    let program: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let label = event.level >= .error ? "error" : (event.level == .warning ? "warning" : "\(event.level)")
        writeStandardError("\(program): \(label): \(event.message)\n")
    }
}
