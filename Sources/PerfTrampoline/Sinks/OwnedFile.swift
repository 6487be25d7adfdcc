/// Opens a symbol file (`/tmp/perf-PID.map`, `jit-PID.dump`) so that nobody else's file is
/// ever written through it, and no live process's file is ever touched.
///
/// - `O_NOFOLLOW` refuses a symbolic link at the path; `O_NONBLOCK` keeps a planted FIFO from
///   hanging the open. `fstat` must then show a regular file, owned by our effective uid, with
///   one link (a hard link would let us scribble on another file).
/// - **Claim**: the owner holds an exclusive `flock` on the file for as long as it is open. A
///   lock belongs to the open file description, so it is released when the owner exits however
///   it dies, and a fork child, which closes its inherited descriptors, does not keep it. A
///   file whose lock is held belongs to a live process — with /tmp shared across pid
///   namespaces, another process with our pid number — and is refused untouched. A file whose
///   lock we get was left by an earlier process with our (recycled) pid: it is stale, and is
///   truncated and set back to mode 0600 (whatever mode, setuid bit included, it had).
/// - Mode 0600, `O_CLOEXEC`, so an exec'd child inherits neither the descriptor nor the claim.
/// - **Shared** (the perf map, which any code generator in the process may append to by
///   convention; issue 24): a locked file whose lock this very process holds (a second copy of
///   the library) is appended to, not refused; an unlocked file modified since this process
///   started is a live neighbour's (another JIT, CPython), not a recycled pid's, and is
///   appended to, never truncated or renamed over. A shared file is cut back only by what one
///   failed write of ours added.
enum OwnedFile {
    /// Whether other writers in this process may hold the same file.
    enum Sharing {
        /// Ours alone (the jitdump: one header, one writer).
        case exclusive
        /// The perf map: appended to by whoever generates code in the process.
        case withThisProcess
    }

    /// Why a symbol file was not opened; `underlying` keeps the failed call and its errno.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
        var underlying: SystemCallError?
    }

    /// Opens and claims `path` (created if missing), empty.
    ///
    /// Lock, then verify (issue 23): after the lock is taken, the path must still name the
    /// locked file with one link. Otherwise the file was replaced or unlinked between our
    /// open and our lock (its owner renamed a fresh copy over it and closed the old one): we
    /// hold the lock of a file nobody sees, and try again on what the path names now.
    static func claim(_ path: String, access: System.Access, sharing: Sharing = .exclusive) throws(Refusal) -> SymbolFile {
        for _ in 0..<8 {
            if let file = try claimOnce(path, access: access, sharing: sharing) { return file }
        }
        throw Refusal(description: "\(path) was replaced 8 times while we claimed it; leaving it untouched")
    }

    /// One attempt: the claimed file, or nil if the path stopped naming it before the lock.
    private static func claimOnce(_ path: String, access: System.Access, sharing: Sharing) throws(Refusal) -> SymbolFile? {
        let fd: Int32
        do {
            fd = try System.openForWriting(path, access: access)
        } catch {
            if error.isSymbolicLink {
                throw Refusal(description: "\(path) is a symbolic link; refusing to follow it", underlying: error)
            }
            if error.isFIFOWithoutReader { throw notRegular(path, error) }
            throw Refusal(description: "cannot open \(path): \(error.reasonText)", underlying: error)
        }
        do throws(Refusal) {
            let info = try checked { () throws(SystemCallError) in try System.status(fd, path: path) }
            if !info.isRegular { throw notRegular(path, nil) }
            if info.owner != System.effectiveUserID {
                throw Refusal(description:
                    "\(path) exists and is owned by uid \(info.owner), not by us (uid \(System.effectiveUserID)); refusing to use it")
            }
            if info.links != 1 {
                throw Refusal(description: "\(path) has \(info.links) hard links; refusing to use it")
            }
            #if DEBUG
            if let race = InjectedFaults.betweenOpenAndLock.withLock({ $0 }) { race(path) }
            #endif
            let lockedByUs = try checked { () throws(SystemCallError) in try System.lockExclusively(fd, path: path) }
            let ourProcessHoldsIt = !lockedByUs && System.processHoldsFileLock(info.identity)
            if !lockedByUs && !(ourProcessHoldsIt && sharing == .withThisProcess) {
                throw Refusal(description: ourProcessHoldsIt
                    ? "\(path) is held by another copy of PerfTrampoline in this process (a plugin linked to its own "
                        + "copy?); only the perf map is shared between copies, so it is left untouched"
                    : "\(path) is in use by another live process (one with our pid in another pid namespace sharing "
                        + "/tmp?); leaving it untouched")
            }
            let locked = try checked { () throws(SystemCallError) in try System.status(fd, path: path) }
            guard locked.links == 1, System.identity(at: path) == locked.identity else {
                System.close(fd)
                return nil
            }
            // Another copy of the library in this process holds the map: append beside it.
            if ourProcessHoldsIt {
                System.clearNonBlocking(fd)
                return SymbolFile(path: path, descriptor: fd, isShared: true)
            }
            if sharing == .withThisProcess, locked.size != 0, let started = System.processStartNanoseconds(),
               locked.modified >= started - neighbourMargin {
                // Written since we started, by no process that locks it: a neighbour in this
                // process (our pid is ours alone in this namespace while we live).
                if info.mode != 0o600 { try checked { () throws(SystemCallError) in try System.setOwnerOnlyMode(fd, path: path) } }
                System.clearNonBlocking(fd)
                return SymbolFile(path: path, descriptor: fd, isShared: true)
            }
            if info.size != 0 { try checked { () throws(SystemCallError) in try System.truncate(fd, to: 0, path: path) } }
            if info.mode != 0o600 { try checked { () throws(SystemCallError) in try System.setOwnerOnlyMode(fd, path: path) } }
            System.clearNonBlocking(fd)
            return SymbolFile(path: path, descriptor: fd)
        } catch {
            System.close(fd)
            throw error
        }
    }

    /// A failed system call as a refusal (its description, and the call kept as the cause).
    private static func checked<T>(_ body: () throws(SystemCallError) -> T) throws(Refusal) -> T {
        do { return try body() } catch { throw Refusal(description: "\(error)", underlying: error) }
    }

    /// A file being made: claimed at `path`, its content written to `file` — a private file
    /// beside the path, which ``finish()`` renames over the claimed one, so a process killed
    /// half-way (a fork child copying 100,000 entries) leaves the path empty, never a torn line;
    /// or, for a shared file (another writer's lines are in it), the claimed file itself.
    struct Creation {
        let path: String
        /// Where the content goes.
        let file: SymbolFile
        /// The file claimed (locked) at `path`, held until the rename; nil when `file` is it.
        let claimed: SymbolFile?

        /// Puts `file` in place under `path`. On failure nothing is left.
        func finish() throws(Refusal) {
            guard claimed != nil else { return }
            do {
                try System.rename(file.path, to: path)
            } catch {
                abandon()
                throw Refusal(description: "\(error)", underlying: error)
            }
            // `claimed` now refers to the replaced (unlinked) file; it closes when dropped.
            file.didRename(to: path)
        }

        /// Leaves nothing behind: the private file goes, and the claimed one if it is still empty
        /// (issue 24: `prlimit --nofile=4` left an empty jit-PID.dump). A shared file keeps the
        /// whole writes that succeeded (other writers' lines follow them).
        func abandon() {
            guard let claimed else { return }
            System.unlink(file.path)
            if (try? System.status(claimed.descriptor, path: path))?.size == 0 { System.unlink(path) }
        }

        /// In a fork child's atfork handler: closes the parent's descriptors (see
        /// ``SymbolFile/closeInheritedDescriptor()``).
        func closeInheritedDescriptors() {
            file.closeInheritedDescriptor()
            claimed?.closeInheritedDescriptor()
        }
    }

    /// Claims `path` and opens the private file beside it that its content goes to (see
    /// ``Creation``).
    static func beginCreate(_ path: String, access: System.Access, sharing: Sharing = .exclusive) throws(Refusal) -> Creation {
        let claimed = try claim(path, access: access, sharing: sharing)
        // Other writers' lines stay where they are: ours follow them, in whole lines.
        if claimed.isShared { return Creation(path: path, file: claimed, claimed: nil) }
        let temporary = temporaryPath(for: path)
        do {
            let fd = try System.createExclusively(temporary, access: access, replacingStale: true)
            let file = SymbolFile(path: temporary, descriptor: fd)
            _ = try System.lockExclusively(fd, path: temporary)
            return Creation(path: path, file: file, claimed: claimed)
        } catch {
            Creation(path: path, file: SymbolFile(path: temporary, descriptor: -1), claimed: claimed).abandon()
            throw Refusal(description: "\(error)", underlying: error)
        }
    }

    /// Claims `path` and gives it `initialContent` atomically (see ``Creation``).
    static func create(_ path: String, access: System.Access, initialContent: [UInt8], sharing: Sharing = .exclusive)
        throws(Refusal) -> SymbolFile {
        let creation = try beginCreate(path, access: access, sharing: sharing)
        do {
            try appendInChunks(initialContent, to: creation.file)
        } catch {
            creation.abandon()
            throw Refusal(description: "\(error)", underlying: error)
        }
        try creation.finish()
        return creation.file
    }

    /// How long before this process's start a file may have been written and still be taken for
    /// a neighbour's: file times come from the kernel's coarse clock (up to a tick behind the
    /// clock the start is read from), and the start is rounded down to a 10 ms tick. Measured:
    /// without it, a host that writes its first line at once was taken for stale (seen once in
    /// about ten runs of InstalledLibraryTests.theHostsOwnMapLinesSurvive).
    /// A recycled pid's file written within this second before we started is appended to.
    static let neighbourMargin: Int64 = 1_000_000_000

    /// Appends `content` (whole lines) in writes of at most 1 MiB, each cut at a newline.
    private static func appendInChunks(_ content: [UInt8], to file: SymbolFile) throws(SystemCallError) {
        var start = 0
        while start < content.count {
            var end = min(start + (1 << 20), content.count)
            if end < content.count, let newline = content[start..<end].lastIndex(of: UInt8(ascii: "\n")) { end = newline + 1 }
            try file.append(Array(content[start..<end]))
            start = end
        }
    }

    /// `/tmp/perf-12.map` → `/tmp/.perf-12.map.partial`.
    static func temporaryPath(for path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ".\(path).partial" }
        let directory = String(decoding: path.utf8[...slash], as: UTF8.self)
        let name = String(decoding: path.utf8[path.utf8.index(after: slash)...], as: UTF8.self)
        return "\(directory).\(name).partial"
    }

    private static func notRegular(_ path: String, _ error: SystemCallError?) -> Refusal {
        Refusal(description: "\(path) exists and is not a regular file; refusing to use it", underlying: error)
    }
}
