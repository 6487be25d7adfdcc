/// A file that names code for a profiler: the perf map or the jitdump.
///
/// A sink is brought up to date with the process's ``SymbolRegistry`` before any newly named
/// code can run; it remembers how far it got, so switching modes or forking re-emits exactly
/// the entries the file lacks, never a duplicate. The cursor, the batching and the
/// all-or-nothing rule live here once; a subclass only encodes one entry.
///
/// A class rather than a protocol: the first entry of every code object runs this loop, and
/// through an existential each read of the cursor or buffer was a witness call (issue 17,
/// callgrind: 2,562 instructions per first entry in the catch-up loop before; 856 now in
/// `appendNewest`).
class SymbolSink {
    let file: SymbolFile
    /// How many registry entries the file holds.
    final var writtenCount: Int
    /// Reused between calls, so naming a stub allocates nothing once it has grown.
    private final var buffer: [UInt8] = []

    init(file: SymbolFile, writtenCount: Int) {
        self.file = file
        self.writtenCount = writtenCount
    }

    /// Appends `entry`'s line or records to `buffer` (possibly nothing). Subclasses override.
    func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8]) {}

    final var path: String { file.path }

    final var mark: SinkMark { SinkMark(count: writtenCount, length: file.length) }

    /// Forgets everything written after `mark`, in the file too.
    final func rollback(to mark: SinkMark) {
        file.truncate(to: mark.length)
        writtenCount = mark.count
    }

    /// The common case of ``catchUp(with:)``: the file holds every entry but the newest, `entry`
    /// (registry position `position`). One encode, one `write(2)`; all or nothing.
    final func appendNewest(_ entry: SymbolRegistry.Entry, at position: Int) throws(SystemCallError) {
        try withBuffer { (pending) throws(SystemCallError) in
            if !entry.superseded { encode(entry, into: &pending) }
            if !pending.isEmpty { try file.append(pending) }
            writtenCount = position + 1
        }
    }

    /// Appends every registry entry this file does not hold yet (except those a rename
    /// superseded: their time is over), or the next `limit` of them, in writes of at most 1 MiB
    /// (a single new entry is one `write(2)`). All or nothing: on failure the file and the
    /// cursor are back where they were; a shared file (``SymbolFile/isShared``) keeps the whole
    /// writes that succeeded, with the cursor after them (cutting them back could take another
    /// writer's lines with them).
    final func catchUp(with registry: borrowing SymbolRegistry, limit: Int = .max) throws(SystemCallError) {
        let start = mark
        var position = writtenCount
        let end = registry.count - writtenCount > limit ? writtenCount + limit : registry.count
        do {
            try withBuffer { (pending) throws(SystemCallError) in
                while position < end {
                    let entry = registry[position]
                    if !entry.superseded { encode(entry, into: &pending) }
                    position += 1
                    if pending.count >= 1 << 20 || position == end {
                        try file.append(pending)
                        writtenCount = position
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
        } catch {
            if !file.isShared { rollback(to: start) }
            throw error
        }
    }

    /// Whether the file holds every entry of `registry`.
    final func isUpToDate(with registry: borrowing SymbolRegistry) -> Bool { writtenCount == registry.count }

    /// A new file (written aside, see ``OwnedFile/beginCreate(_:access:sharing:)``): writes
    /// every entry of `registry`, then puts the file in place. On failure nothing is left.
    final func complete(_ creation: OwnedFile.Creation, with registry: borrowing SymbolRegistry)
        throws(OwnedFile.Refusal) {
        do {
            try catchUp(with: registry)
        } catch {
            creation.abandon()
            throw OwnedFile.Refusal(description: "\(error)", underlying: error)
        }
        try place(creation)
    }

    /// Puts a new file that holds what it should in place (renamed over its claimed path).
    final func place(_ creation: OwnedFile.Creation) throws(OwnedFile.Refusal) {
        try creation.finish()
        try didPlace()
    }

    /// Called once the file is in place under its name. Subclasses override (the jitdump maps
    /// its marker then, so that perf records the final name).
    func didPlace() throws(OwnedFile.Refusal) {}

    /// Runs `body` with the reusable buffer, handed back emptied (its capacity kept).
    private final func withBuffer(_ body: (inout [UInt8]) throws(SystemCallError) -> Void) throws(SystemCallError) {
        var pending = buffer
        buffer = []
        defer {
            pending.removeAll(keepingCapacity: true)
            buffer = pending
        }
        try body(&pending)
    }
}

/// A sink's position: how many entries, how many bytes.
struct SinkMark: Equatable {
    let count: Int
    let length: Int
}
