/// An open, claimed symbol file (the perf map or the jitdump) whose appends are all or nothing.
///
/// `length` counts only bytes of complete lines or records. A write that fails part-way (disk
/// full after a short write) is cut back to `length` with `ftruncate`, so a later append can
/// never glue itself onto a fragment: every line stays a whole, true line, and at worst the
/// entry being written is missing.
final class SymbolFile {
    /// Where the file is (after a rename, its final name).
    private(set) var path: String
    let descriptor: Int32
    /// Bytes of complete entries in the file.
    private(set) var length: Int

    init(path: String, descriptor: Int32, length: Int = 0) {
        self.path = path
        self.descriptor = descriptor
        self.length = length
    }

    deinit { System.close(descriptor) }

    /// Whether someone deleted the file (it has no name any more): writes would go nowhere.
    var isDeleted: Bool {
        guard let info = try? System.status(descriptor, path: path) else { return false }
        return info.links == 0
    }

    /// Records that the file was renamed to `path`.
    func didRename(to path: String) { self.path = path }

    /// Appends all of `bytes`, or nothing.
    func append(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        do {
            try System.writeAll(descriptor, bytes, path: path)
        } catch {
            truncate(to: length)
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

    /// Cuts the file back to `mark` bytes (a rollback; best effort: if even `ftruncate` fails,
    /// the file keeps a fragment that the next successful append would not follow).
    func truncate(to mark: Int) {
        if (try? System.truncate(descriptor, to: mark, path: path)) != nil { length = mark }
    }
}
