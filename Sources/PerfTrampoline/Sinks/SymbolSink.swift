/// A file that names code for a profiler: the perf map or the jitdump.
///
/// A sink is brought up to date with the process's ``SymbolRegistry`` before any newly named
/// code can run; it remembers how far it got, so switching modes or forking re-emits exactly
/// the entries the file lacks, never a duplicate. The cursor, the batching and the
/// all-or-nothing rule live here once; a sink only encodes one entry.
protocol SymbolSink: AnyObject {
    var file: SymbolFile { get }
    /// How many registry entries the file holds.
    var writtenCount: Int { get set }
    /// Reused between calls, so naming a stub allocates nothing once it has grown.
    var buffer: [UInt8] { get set }
    /// Appends `entry`'s line or records to `buffer` (possibly nothing).
    func encode(_ entry: SymbolRegistry.Entry, into buffer: inout [UInt8])
}

/// A sink's position: how many entries, how many bytes.
struct SinkMark: Equatable {
    let count: Int
    let length: Int
}

extension SymbolSink {
    var path: String { file.path }

    var mark: SinkMark { SinkMark(count: writtenCount, length: file.length) }

    /// Forgets everything written after `mark`, in the file too.
    func rollback(to mark: SinkMark) {
        file.truncate(to: mark.length)
        writtenCount = mark.count
    }

    /// Appends every registry entry this file does not hold yet (except those a rename
    /// superseded: their time is over), in writes of at most 1 MiB
    /// (a single new entry is one `write(2)`). All or nothing: on failure the file and the
    /// cursor are back where they were.
    func catchUp(with registry: SymbolRegistry) throws(SystemCallError) {
        let start = mark
        buffer.removeAll(keepingCapacity: true)
        do {
            while writtenCount < registry.count {
                let entry = registry[writtenCount]
                if !entry.superseded { encode(entry, into: &buffer) }
                writtenCount += 1
                if buffer.count >= 1 << 20 || writtenCount == registry.count {
                    try file.append(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            buffer.removeAll(keepingCapacity: true)
            rollback(to: start)
            throw error
        }
    }
}
