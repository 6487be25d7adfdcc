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

    /// A new map of `processID`, claimed, being written aside: its entries come by
    /// ``SymbolSink/catchUp(with:limit:)``, then ``SymbolSink/place(_:)`` puts it in place.
    static func beginCreate(processID: Int32, directory: String = "/tmp") throws(OwnedFile.Refusal) -> OwnedFile.Creation {
        try OwnedFile.beginCreate(path(forProcess: processID, in: directory), access: .append, sharing: .withThisProcess)
    }

    /// The map being made by `creation`, empty so far (but for another writer's lines).
    init(creating creation: OwnedFile.Creation, leavingStubsOut: Bool = false) {
        super.init(file: creation.file, writtenCount: 0)
        if leavingStubsOut { stubsLeftOutFrom = 0 }
    }

    /// Creates and claims the map of `processID`, holding every entry of `registry` (but its
    /// stubs if `leavingStubsOut`).
    convenience init(processID: Int32, registry: borrowing SymbolRegistry, directory: String = "/tmp",
                     leavingStubsOut: Bool = false) throws(OwnedFile.Refusal) {
        let creation = try Self.beginCreate(processID: processID, directory: directory)
        self.init(creating: creation, leavingStubsOut: leavingStubsOut)
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
