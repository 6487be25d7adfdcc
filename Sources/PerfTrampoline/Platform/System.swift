// The library's system calls (Platform/ holds every OS call and environment read of the
// library; the CShims target holds what Swift cannot spell). Every call goes through here so
// that the test-only fault seam (debug builds) can refuse it.
import CShims

#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, throwing wrappers over the system calls the library uses.
enum System {
    static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    static var processID: Int32 { getpid() }

    /// Anonymous, private address space with no access (a reservation to carve pages from;
    /// anonymous so that perf consults the perf map for the executable part).
    static func reserve(_ length: Int) throws(SystemCallError) -> UnsafeMutableRawPointer {
        if InjectedFaults.active.contains(.mmap) {
            throw SystemCallError(call: "mmap", subject: "", code: ENOMEM)
        }
        let memory = mmap(nil, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else {
            throw SystemCallError(call: "mmap", subject: "", code: errno)
        }
        return memory
    }

    static func protectReadWrite(_ memory: UnsafeMutableRawPointer, _ length: Int) throws(SystemCallError) {
        guard mprotect(memory, length, PROT_READ | PROT_WRITE) == 0 else {
            throw SystemCallError(call: "mprotect", subject: "", code: errno)
        }
    }

    /// Read-execute; `branchTargets` additionally marks the pages PROT_BTI on aarch64 Linux
    /// when the CPU has BTI (every stub then must start with a landing pad).
    static func protectReadExecute(_ memory: UnsafeMutableRawPointer, _ length: Int,
                                   branchTargets: Bool = false) throws(SystemCallError) {
        if InjectedFaults.active.contains(.mprotect) {
            throw SystemCallError(call: "mprotect", subject: "", code: EACCES)
        }
        guard perftrampoline_protect_executable(memory, length, branchTargets ? 1 : 0) == 0 else {
            throw SystemCallError(call: "mprotect", subject: "", code: errno)
        }
    }

    static func unmap(_ memory: UnsafeMutableRawPointer, _ length: Int) {
        munmap(memory, length)
    }

    /// `open(2)` for writing with `O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK` (non-blocking so a planted
    /// FIFO cannot hang us; cleared again by `clearNonBlocking`).
    /// How a symbol file is written: appended to (the map), or appended to and mapped (the dump).
    enum Access {
        case append
        case readAppend

        var flags: Int32 {
            switch self {
            case .append: O_WRONLY | O_APPEND
            case .readAppend: O_RDWR | O_APPEND
            }
        }
    }

    static func openForWriting(_ path: String, access: Access) throws(SystemCallError) -> Int32 {
        let extra = access.flags
        let faults = InjectedFaults.active
        if faults.contains(.open) { throw SystemCallError(call: "open", subject: path, code: EACCES) }
        if faults.contains(.readOnlyTmp) { throw SystemCallError(call: "open", subject: path, code: EROFS) }
        let flags = O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | extra
        let fd = open(path, flags, mode_t(0o600))
        guard fd >= 0 else { throw SystemCallError(call: "open", subject: path, code: errno) }
        return fd
    }

    static func clearNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    }

    /// What the library needs to know of an open file.
    struct FileStatus {
        let isRegular: Bool
        let owner: UInt32
        let links: Int
        let size: Int
        /// Permission bits, setuid/setgid/sticky included.
        let mode: UInt32
        /// Which file: device and inode.
        let identity: FileIdentity
        /// Last modification, nanoseconds since the epoch.
        let modified: Int64
    }

    struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    static func status(_ fd: Int32, path: String) throws(SystemCallError) -> FileStatus {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError(call: "fstat", subject: path, code: errno) }
        return FileStatus(isRegular: (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG), owner: UInt32(info.st_uid),
                          links: Int(info.st_nlink), size: Int(info.st_size), mode: UInt32(info.st_mode) & 0o7777,
                          identity: FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
                          modified: modificationNanoseconds(info))
    }

    private static func modificationNanoseconds(_ info: stat) -> Int64 {
        #if canImport(Darwin)
        Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
    }

    /// The file `path` names now (`lstat`: a link is not followed), or nil if none.
    static func identity(at path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws(SystemCallError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw SystemCallError(call: "ftruncate", subject: path, code: errno) }
    }

    /// `flock(LOCK_EX | LOCK_NB)`: true if taken, false if another open file holds it.
    static func lockExclusively(_ fd: Int32, path: String) throws(SystemCallError) -> Bool {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw SystemCallError(call: "flock", subject: path, code: errno)
        }
        return true
    }

    /// `fchmod(0600)`: clears whatever a stale file had, setuid bit included.
    static func setOwnerOnlyMode(_ fd: Int32, path: String) throws(SystemCallError) {
        guard fchmod(fd, 0o600) == 0 else { throw SystemCallError(call: "fchmod", subject: path, code: errno) }
    }

    /// `open(O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)`, mode 0600. With `replacingStale`, an
    /// existing entry (a file left by a process of our pid that was killed) is unlinked first,
    /// once; unlinking a planted symlink removes only the link.
    static func createExclusively(_ path: String, access: Access, replacingStale: Bool) throws(SystemCallError) -> Int32 {
        let extra = access.flags
        if InjectedFaults.active.contains(.open) { throw SystemCallError(call: "open", subject: path, code: EACCES) }
        let flags = O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | extra
        var fd = open(path, flags, mode_t(0o600))
        if fd < 0 && errno == EEXIST && replacingStale {
            _ = unlinkFile(path)
            fd = open(path, flags, mode_t(0o600))
        }
        guard fd >= 0 else { throw SystemCallError(call: "open", subject: path, code: errno) }
        return fd
    }

    static func rename(_ from: String, to: String) throws(SystemCallError) {
        guard renameFile(from, to) == 0 else { throw SystemCallError(call: "rename", subject: "\(from) to \(to)", code: errno) }
    }

    static func unlink(_ path: String) {
        _ = unlinkFile(path)
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    ///
    /// A write that would cross the file-size limit (`ulimit -f`, `RLIMIT_FSIZE`) is refused with
    /// `EFBIG` before any byte is written: the kernel would otherwise raise SIGXFSZ, whose default
    /// action kills the host. A failure to name code must never stop the program (issue 24).
    /// Writes all of `bytes`; `written` counts what reached the file (so that a caller can cut
    /// back exactly that after a failure part-way).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String, written progress: inout Int)
        throws(SystemCallError) {
        progress = 0
        if InjectedFaults.active.contains(.write) {
            throw SystemCallError(call: "write", subject: path, code: ENOSPC)
        }
        if let limit = fileSizeLimit() {
            // The write lands at the end (O_APPEND) or at the offset, whichever is further.
            var info = stat()
            let end = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
            let position = max(end, Int(lseek(fd, 0, SEEK_CUR)))
            if position + bytes.count > limit {
                throw SystemCallError(call: "write", subject: path, code: EFBIG)
            }
        }
        var offset = 0
        while offset < bytes.count {
            var allowed = bytes.count - offset
            #if DEBUG
            if let budget = InjectedFaults.writeBudget.withLock({ $0 }), path.startsWithBytes(budget.prefix) {
                allowed = min(allowed, budget.bytes)
                if allowed == 0 { throw SystemCallError(call: "write", subject: path, code: ENOSPC) }
            }
            #endif
            let written = write(fd, bytes.baseAddress! + offset, allowed)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call: "write", subject: path, code: errno)
            }
            // A regular file returns 0 only when nothing more fits: say so instead of spinning.
            if written == 0 { throw SystemCallError(call: "write", subject: path, code: ENOSPC) }
            #if DEBUG
            InjectedFaults.writeBudget.withLock { budget in
                if let current = budget, path.startsWithBytes(current.prefix) { budget = (current.prefix, current.bytes - written) }
            }
            #endif
            offset += written
            progress = offset
        }
    }

    /// The soft file-size limit in bytes, or nil when there is none.
    static func fileSizeLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc) || canImport(CLibc)
        let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        #else
        let resource = RLIMIT_FSIZE
        #endif
        // RLIM_INFINITY is all ones on Linux and 2^63 - 1 on Darwin: both at least Int.max.
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }

    /// One `write(2)` of the whole line to stderr (best effort: a warning must never fail the host).
    static func writeStandardError(_ text: String) {
        var line = text
        line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }

    static func close(_ fd: Int32) {
        _ = closeFile(fd)
    }

    static var effectiveUserID: UInt32 { UInt32(geteuid()) }

    /// Linux: one page of the dump mapped `PROT_READ|PROT_EXEC`, so that `perf record` logs an
    /// executable mmap of the file and `perf inject --jit` finds it. Elsewhere nil (samply on
    /// macOS finds the dump through its preload's `open` hook instead).
    static func mapMarker(_ fd: Int32, path: String) throws(SystemCallError) -> UnsafeMutableRawPointer? {
        #if os(Linux) || PERFTRAMPOLINE_LINUX
        let mapped = mmap(nil, pageSize, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else { throw SystemCallError(call: "mmap", subject: "of \(path)", code: errno) }
        return mapped
        #else
        return nil
        #endif
    }

    /// The jitdump clock. Linux: CLOCK_MONOTONIC ns, the clock of `perf record -k 1`. macOS:
    /// mach_absolute_time in ns, the clock samply uses there.
    static func monotonicNanoseconds() -> UInt64 {
        #if canImport(Darwin)
        var info = mach_timebase_info_data_t()
        mach_timebase_info(&info)
        return mach_absolute_time() * UInt64(info.numer) / UInt64(info.denom)
        #else
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        #endif
    }

    /// Installs the signal switch's async-signal-safe handler (CShims/signal_switch.c).
    static func installSignalHandler(_ signal: Int32) throws(SystemCallError) {
        guard perftrampoline_signal_switch_install(signal) == 0 else {
            throw SystemCallError(call: "sigaction", subject: "for signal \(signal)", code: errno)
        }
    }

    /// `USR2`, `SIGUSR2`, `usr2` or `12` → SIGUSR2; nil for anything else. Only signals a
    /// switch can sensibly use: never KILL or STOP, nor a fault signal (SEGV, BUS, ILL, FPE,
    /// TRAP, ABRT, SYS), by name or by number — the toggle would replace the crash handling and
    /// a real fault would then re-execute forever (issue 24).
    static func signalNumber(named name: String) -> Int32? {
        if let number = Int32(name) { return isSwitchable(number) ? number : nil }
        var word = name.asciiUppercased
        if word.startsWithBytes("SIG") { word = word.droppingBytes(3) }
        let table: [(name: String, signal: Int32)] = [
            ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("USR1", SIGUSR1), ("USR2", SIGUSR2), ("ALRM", SIGALRM),
            ("TERM", SIGTERM), ("CONT", SIGCONT), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG),
            ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO),
        ]
        return table.first(where: { $0.name.sameBytes(as: word) })?.signal
    }

    /// Whether a switch may use `signal` (see ``signalNumber(named:)``).
    static func isSwitchable(_ signal: Int32) -> Bool {
        let refused: Set<Int32> = [SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS]
        return signal > 0 && signal < 65 && !refused.contains(signal)
    }

    /// Whether the host already handles `signal` (a handler other than the switch's own).
    static func signalHasHostHandler(_ signal: Int32) -> Bool {
        perftrampoline_signal_switch_handled_by_host(signal) == 1
    }

    /// Raises `signal` in this thread (tests of the signal switch under the lock).
    static func raise(_ signal: Int32) { _ = perftrampoline_signal_switch_raise(signal) }

    /// The calling thread's id, as jitdump's u32 (Linux: the kernel tid).
    static func threadID() -> UInt32 { perftrampoline_thread_id() }
}

// At file scope these are the C functions (inside `System` the names are the methods above).
private func closeFile(_ fd: Int32) -> Int32 { close(fd) }
private func renameFile(_ from: String, _ to: String) -> Int32 { rename(from, to) }
private func unlinkFile(_ path: String) -> Int32 { unlink(path) }
