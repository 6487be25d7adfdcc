/// An open, claimed symbol file (the perf map or the jitdump) whose appends are all or nothing.
///
/// A write that fails part-way (disk full after a short write) is cut back by exactly the bytes
/// it wrote, with `ftruncate`, so a later append can never glue itself onto a fragment: every
/// line stays a whole, true line, and at worst the entry being written is missing.
///
/// A *shared* file (a perf map other writers in this process append to as well: another JIT,
/// CPython, a second copy of this library) is never cut back further than that: its length is
/// not ours to know, so the cut is taken from its end as `fstat` sees it after the failure.
final class SymbolFile {
    /// Where the file is (after a rename, its final name).
    private(set) var path: String
    private(set) var descriptor: Int32
    /// Whether other writers in this process append to the file too.
    let isShared: Bool
    /// Bytes of complete entries this object wrote (the file's length, unless shared).
    private(set) var length: Int

    init(path: String, descriptor: Int32, length: Int = 0, isShared: Bool = false) {
        self.path = path
        self.descriptor = descriptor
        self.length = length
        self.isShared = isShared
    }

    deinit { if descriptor >= 0 { System.close(descriptor) } }

    /// In a fork child's atfork handler: closes the descriptor inherited from the parent (one
    /// `close`, no allocation), so the child never holds the parent's claim on its file. The
    /// object itself is dropped later, from a normal context (``ProfilingCore/reopenAfterFork()``).
    func closeInheritedDescriptor() {
        guard descriptor >= 0 else { return }
        System.close(descriptor)
        descriptor = -1
    }

    /// Whether someone deleted the file (it has no name any more): writes would go nowhere.
    var isDeleted: Bool {
        guard let info = try? System.status(descriptor, path: path) else { return false }
        return info.links == 0
    }

    /// Records that the file was renamed to `path`.
    func didRename(to path: String) { self.path = path }

    /// Appends all of `bytes`, or nothing.
    func append(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        var written = 0
        do {
            try System.writeAll(descriptor, bytes, path: path, written: &written)
        } catch {
            if written > 0 { cutBack(written) }
            throw error
        }
        length += bytes.count
    }

    /// Appends all of `bytes`, or nothing.
    func append(_ bytes: [UInt8]) throws(SystemCallError) {
        let result: Result<Void, SystemCallError> = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemCallError) in try append(raw) }
        }
        try result.get()
    }

    /// Cuts the file back to `mark` bytes (a rollback of this object's own appends; never for a
    /// shared file). Best effort: if even `ftruncate` fails, the file keeps a fragment that the
    /// next successful append would not follow.
    func truncate(to mark: Int) {
        precondition(!isShared, "a shared file is cut back only by what one write added")
        if (try? System.truncate(descriptor, to: mark, path: path)) != nil { length = mark }
    }

    /// Takes back the `count` bytes a failed write left at the end.
    private func cutBack(_ count: Int) {
        if !isShared {
            truncate(to: length)
            return
        }
        guard let size = try? System.status(descriptor, path: path).size, size >= count else { return }
        _ = try? System.truncate(descriptor, to: size - count, path: path)
    }
}
