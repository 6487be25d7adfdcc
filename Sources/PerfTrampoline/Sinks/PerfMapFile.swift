/// The perf map of this process, `/tmp/perf-<pid>.map` (lines: ``PerfMapLine``). A new file receives the entries the process
/// already has all at once (written aside, then renamed into place); later entries are
/// appended with one `write(2)` each on an `O_APPEND` descriptor, before the code they name
/// can run.
final class PerfMapFile: SymbolSink {

    /// perf looks only in /tmp; `TMPDIR` is deliberately not consulted.
    static func path(forProcess pid: Int32, in directory: String = "/tmp") -> String {
        "\(directory)/perf-\(pid).map"
    }

    /// Creates and claims the map of `processID`, holding every entry of `registry`.
    init(processID: Int32, registry: SymbolRegistry, directory: String = "/tmp") throws(OwnedFile.Refusal) {
        var lines: [UInt8] = []
        for index in 0..<registry.count where !registry[index].superseded { PerfMapLine.append(registry[index], to: &lines) }
        let file = try OwnedFile.create(Self.path(forProcess: processID, in: directory), access: .append, initialContent: lines)
        super.init(file: file, writtenCount: registry.count)
    }

    override func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {
        PerfMapLine.append(entry, to: &buffer)
    }
}
