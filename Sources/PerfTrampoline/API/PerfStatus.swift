/// A snapshot of the profiling hook's state, for diagnostics (`toyvm` prints it on request).
public struct PerfStatus: Sendable, CustomStringConvertible {
    /// The mode in force now.
    public var mode: ProfilingMode
    /// The trampoline backend in use, once one was chosen.
    public var backend: PerfBackend?
    /// Trampolines issued so far (each named exactly once).
    public var stubCount: Int
    /// Executable chunks mapped for them.
    public var chunkCount: Int
    /// Bytes of executable memory per trampoline (template plus alignment padding).
    public var bytesPerStub: Int?
    /// Symbols announced so far, trampolines and entries of other code generators.
    public var symbolCount: Int
    /// Bytes of bookkeeping held for them (addresses, sizes, sanitised names), kept so that a
    /// fork child or a newly opened file can be given every entry.
    public var metadataBytes: Int
    /// The perf map of this process, once opened.
    public var perfMapPath: String?
    /// The jitdump of this process, once opened.
    public var jitDumpPath: String?
    /// Why profiling is off, when it is off because something failed; nil otherwise.
    public var offReason: String?

    public var description: String {
        var parts = ["mode=\(mode)"]
        if let backend { parts.append("backend=\(backend)") }
        parts.append("stubs=\(stubCount)")
        parts.append("chunks=\(chunkCount)")
        if let bytesPerStub { parts.append("bytes/stub=\(bytesPerStub)") }
        if let perfMapPath { parts.append("map=\(perfMapPath)") }
        if let jitDumpPath { parts.append("jitdump=\(jitDumpPath)") }
        if let offReason { parts.append("off because: \(offReason)") }
        return parts.joined(separator: " ")
    }
}
