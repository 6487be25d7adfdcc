// The only file of the library that calls the operating system directly (besides the
// CShims target). Every call goes through here so that the test-only fault seam can refuse it.
import CShims
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on what, and errno.
struct SystemCallError: Error, CustomStringConvertible {
    let call: String
    let subject: String
    let code: Int32

    var description: String {
        let reason = String(cString: strerror(code))
        return subject.isEmpty ? "\(call) failed: \(reason)" : "\(call) \(subject) failed: \(reason)"
    }
}

extension SystemCallError {
    /// mprotect(PROT_EXEC) refused by policy (MDWE, seccomp, SELinux), not by a bad argument.
    var refusesExecutableMemory: Bool { call == "mprotect" && (code == EACCES || code == EPERM) }
}

/// Test-only fault injection, read once from `PERFTRAMPOLINE_FAULT` (comma separated):
/// `mmap` (ENOMEM), `mprotect` (EACCES), `open` (EACCES), `tmp` (EROFS on open, as a read-only
/// /tmp gives), `write` (ENOSPC). Unknown words are ignored. Compiled into debug builds only:
/// in a release build the variable is never read, so no user can change what the library does.
struct InjectedFaults: OptionSet, Sendable {
    let rawValue: UInt8
    static let mmap = InjectedFaults(rawValue: 1 << 0)
    static let mprotect = InjectedFaults(rawValue: 1 << 1)
    static let open = InjectedFaults(rawValue: 1 << 2)
    static let readOnlyTmp = InjectedFaults(rawValue: 1 << 3)
    static let write = InjectedFaults(rawValue: 1 << 4)

    #if DEBUG
    /// Test-only: how many more bytes writes to files whose path starts with `prefix` may
    /// write before failing with ENOSPC, as a disk that fills up part-way through a write does.
    static let writeBudget = Mutex<(prefix: String, bytes: Int)?>(nil)
    #endif

    static let active: InjectedFaults = {
        #if !DEBUG
        return []
        #else
        guard let raw = getenv("PERFTRAMPOLINE_FAULT") else { return [] }
        var faults: InjectedFaults = []
        for word in String(cString: raw).split(separator: ",") {
            switch word.trimmingCharacters(in: " ") {
            case "mmap": faults.insert(.mmap)
            case "mprotect": faults.insert(.mprotect)
            case "open": faults.insert(.open)
            case "tmp": faults.insert(.readOnlyTmp)
            case "write": faults.insert(.write)
            default: break
            }
        }
        return faults
        #endif
    }()
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}

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
    static func openForWriting(_ path: String, flags extra: Int32) throws(SystemCallError) -> Int32 {
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

    static func status(_ fd: Int32, path: String) throws(SystemCallError) -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError(call: "fstat", subject: path, code: errno) }
        return info
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
    static func createExclusively(_ path: String, flags extra: Int32, replacingStale: Bool) throws(SystemCallError) -> Int32 {
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
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemCallError) {
        if InjectedFaults.active.contains(.write) {
            throw SystemCallError(call: "write", subject: path, code: ENOSPC)
        }
        var offset = 0
        while offset < bytes.count {
            var allowed = bytes.count - offset
            #if DEBUG
            if let budget = InjectedFaults.writeBudget.withLock({ $0 }), path.hasPrefix(budget.prefix) {
                allowed = min(allowed, budget.bytes)
                if allowed == 0 { throw SystemCallError(call: "write", subject: path, code: ENOSPC) }
            }
            #endif
            let written = write(fd, bytes.baseAddress! + offset, allowed)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call: "write", subject: path, code: errno)
            }
            #if DEBUG
            InjectedFaults.writeBudget.withLock { budget in
                if let current = budget, path.hasPrefix(current.prefix) { budget = (current.prefix, current.bytes - written) }
            }
            #endif
            offset += written
        }
    }

    /// One `write(2)` of the whole line to stderr (best effort: a warning must never fail the host).
    static func writeStandardError(_ text: String) {
        var line = text
        line.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }

    static func close(_ fd: Int32) {
        _ = closeFile(fd)
    }

    static var effectiveUserID: uid_t { geteuid() }
}

// At file scope these are the C functions (inside `System` the names are the methods above).
private func closeFile(_ fd: Int32) -> Int32 { close(fd) }
private func renameFile(_ from: String, _ to: String) -> Int32 { rename(from, to) }
private func unlinkFile(_ path: String) -> Int32 { unlink(path) }
