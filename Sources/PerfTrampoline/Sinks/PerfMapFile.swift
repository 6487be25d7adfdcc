/// The perf map of this process, `/tmp/perf-<pid>.map` (lines: ``PerfMapLine``). A new file receives the entries the process
/// already has before anyone sees it (written aside, then renamed into place); later entries are
/// appended with one `write(2)` each on an `O_APPEND` descriptor, before the code they name
/// can run.
///
/// Outside perf-map mode the map holds only other generators' entries (announced through
/// `writePerfMapEntry`): a stub the map named could never be renamed (a map has no
/// timestamps), so in jitdump mode one external entry would freeze every stub's name
/// (issue 23). The stubs left out are written, under their current names, when perf-map mode
/// comes back.
final class PerfMapFile: SymbolSink {
    /// The registry position from which stubs were left out, or nil when the file holds every
    /// entry before `writtenCount`.
    var stubsLeftOutFrom: Int?

    /// perf looks only in /tmp; `TMPDIR` is deliberately not consulted.
    static func path(forProcess pid: Int32, in directory: String = "/tmp") -> String {
        "\(directory)/perf-\(pid).map"
    }

    /// The map whose file is `file` (claimed), holding none of the registry's entries yet.
    init(file: SymbolFile, leavingStubsOut: Bool = false) {
        super.init(file: file, writtenCount: 0)
        if leavingStubsOut { stubsLeftOutFrom = 0 }
    }

    /// Claims the map of `processID` in place, holding no entry yet (but another writer's lines,
    /// if it is shared): entries come by ``SymbolSink/catchUp(with:limit:)``, in whole lines
    /// (an activation's catch-up, issue 23). Never renamed over: a writer in this process that
    /// opens the map meanwhile keeps its lines.
    static func claim(processID: Int32, directory: String = "/tmp") throws(OwnedFile.Refusal) -> PerfMapFile {
        PerfMapFile(file: try OwnedFile.claim(path(forProcess: processID, in: directory), access: .append,
                                              sharing: .withThisProcess))
    }

    /// Creates and claims the map of `processID`, holding every entry of `registry` (but its
    /// stubs if `leavingStubsOut`): written aside and renamed into place, so that a process
    /// killed half-way (a fork child copying 100,000 entries) leaves no torn line. With nothing
    /// to write, claimed in place.
    convenience init(processID: Int32, registry: borrowing SymbolRegistry, directory: String = "/tmp",
                     leavingStubsOut: Bool = false) throws(OwnedFile.Refusal) {
        let path = Self.path(forProcess: processID, in: directory)
        guard registry.count > 0 else {
            self.init(file: try OwnedFile.claim(path, access: .append, sharing: .withThisProcess), leavingStubsOut: leavingStubsOut)
            return
        }
        let creation = try OwnedFile.beginCreate(path, access: .append, sharing: .withThisProcess)
        self.init(file: creation.file, leavingStubsOut: leavingStubsOut)
        try complete(creation, with: registry)
    }

    override func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {
        if stubsLeftOutFrom != nil && entry.origin == .stub { return }
        PerfMapLine.append(entry, to: &buffer)
    }

    /// From now on, stubs are left out.
    func leaveStubsOut() {
        if stubsLeftOutFrom == nil { stubsLeftOutFrom = writtenCount }
    }

    /// Writes the stubs left out (those still current) in one append, all or nothing, and
    /// writes stubs again from now on.
    func includeStubs(from registry: borrowing SymbolRegistry) throws(SystemCallError) {
        guard let start = stubsLeftOutFrom else { return }
        var lines: [UInt8] = []
        for index in start..<writtenCount {
            let entry = registry[index]
            if entry.origin == .stub && !entry.superseded { PerfMapLine.append(entry, to: &lines) }
        }
        if !lines.isEmpty { try file.append(lines) }
        stubsLeftOutFrom = nil
    }

    /// Whether the file names stub entry `index` (its address then keeps that name).
    func namesStub(at index: Int) -> Bool {
        index < min(writtenCount, stubsLeftOutFrom ?? .max)
    }
}
