import Testing
@testable import PerfTrampoline
#if canImport(Glibc)
import Glibc
#endif

/// Creates `path` with `contents` and `mode` (the test's own file, not through OwnedFile).
func createFile(_ path: String, _ contents: String, mode: mode_t = 0o600) {
    let fd = open(path, O_CREAT | O_WRONLY, mode)
    #expect(fd >= 0)
    #expect(write(fd, contents, contents.utf8.count) == contents.utf8.count)
    close(fd)
}

@Suite struct OwnedFileTests {
    @Test func symlinkIsRefusedAndTargetUntouched() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let target = dir + "/target"
        let link = dir + "/perf-1.map"
        #expect(symlink(target, link) == 0)
        #expect(throws: OwnedFile.Refusal.self) { try OwnedFile.claim(link, access: .append) }
        do {
            _ = try OwnedFile.claim(link, access: .append)
        } catch {
            #expect(error.description == "\(link) is a symbolic link; refusing to follow it")
        }
        #expect(access(target, F_OK) != 0, "the symlink's target must not be created")
    }

    @Test func fileOfAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "needs root to chown")
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-2.map"
        createFile(path, "1 1 theirs\n")
        #expect(chown(path, 65534, 65534) == 0)
        do {
            _ = try OwnedFile.claim(path, access: .append)
            Issue.record("a file owned by uid 65534 was accepted")
        } catch {
            #expect(error.description == "\(path) exists and is owned by uid 65534, not by us (uid 0); refusing to use it")
        }
        #expect(readFile(path) == "1 1 theirs\n", "their file must be untouched")
    }

    @Test func staleFileIsTruncatedAndModeIs0600() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-3.map"
        createFile(path, "dead 1 stale\n", mode: 0o644)
        do {
            let opened = try OwnedFile.claim(path, access: .append)
            #expect(write(opened.descriptor, "1 2 fresh\n", 10) == 10)
            #expect(fcntl(opened.descriptor, F_GETFD) & FD_CLOEXEC != 0)
        }
        #expect(readFile(path) == "1 2 fresh\n")
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600, "a stale file's mode is reset, not kept")

        let newPath = dir + "/perf-4.map"
        _ = try OwnedFile.claim(newPath, access: .append)
        var newInfo = stat()
        #expect(stat(newPath, &newInfo) == 0)
        #expect(newInfo.st_mode & 0o777 == 0o600)
    }

    @Test func fifoAndDirectoryAreRefusedWithoutHanging() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let fifo = dir + "/perf-5.map"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: OwnedFile.Refusal.self) { try OwnedFile.claim(fifo, access: .append) }
        let sub = dir + "/perf-6.map"
        #expect(mkdir(sub, 0o700) == 0)
        #expect(throws: OwnedFile.Refusal.self) { try OwnedFile.claim(sub, access: .append) }
    }

    @Test func hardLinkedFileIsRefused() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let original = dir + "/victim"
        createFile(original, "keep\n")
        let linked = dir + "/perf-7.map"
        #expect(link(original, linked) == 0)
        do {
            _ = try OwnedFile.claim(linked, access: .append)
            Issue.record("a hard-linked file was accepted")
        } catch {
            #expect(error.description == "\(linked) has 2 hard links; refusing to use it")
        }
        #expect(readFile(original) == "keep\n")
    }

    /// Issue 16: a stale file of ours with a loose or setuid mode is reused only as 0600.
    @Test(arguments: [mode_t(0o666), 0o4777, 0o644])
    func staleFileModeIsResetTo0600(mode: mode_t) throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-8.map"
        createFile(path, "dead 1 stale\n")
        #expect(chmod(path, mode) == 0)
        _ = try OwnedFile.claim(path, access: .append)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600)
        #expect(info.st_size == 0)
    }

    /// Issue 16: a file whose owner still holds its claim is live, and is never touched, even
    /// by a process with the same pid (another pid namespace sharing /tmp).
    @Test func aLiveFileIsRefusedUntouched() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-9.map"
        createFile(path, "1 2 live\n")
        // The owner is another process (flock(1)), holding the lock until it is killed.
        let holder = try #require(LockHolder(path))
        defer { holder.stop() }
        for sharing in [OwnedFile.Sharing.exclusive, .withThisProcess] {
            do {
                _ = try OwnedFile.claim(path, access: .append, sharing: sharing)
                Issue.record("a live file was claimed twice")
            } catch {
                #expect(error.description.contains("is in use by another live process"), "\(error)")
            }
        }
        #expect(readFile(path) == "1 2 live\n")
    }

    /// Issue 24: a second copy of the library in this process (its own state, its own
    /// descriptor) finds the map locked by this very process: it appends beside the first copy
    /// instead of being refused; an exclusive file (the jitdump) is refused with that reason.
    @Test func aFileThisProcessHoldsIsSharedNotRefused() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-10.map"
        let first = try OwnedFile.claim(path, access: .append, sharing: .withThisProcess)
        try first.append(Array("1 2 first_copy\n".utf8))
        let second = try OwnedFile.claim(path, access: .append, sharing: .withThisProcess)
        #expect(second.isShared && !first.isShared)
        try second.append(Array("3 4 second_copy\n".utf8))
        try first.append(Array("5 6 first_again\n".utf8))
        #expect(readFile(path) == "1 2 first_copy\n3 4 second_copy\n5 6 first_again\n")
        do {
            _ = try OwnedFile.claim(path, access: .append, sharing: .exclusive)
            Issue.record("an exclusive claim took a file this process holds")
        } catch {
            #expect(error.description.contains("held by another copy of PerfTrampoline in this process"), "\(error)")
        }
        withExtendedLifetime((first, second)) {}
    }

    /// Issue 24: an unlocked map written since this process started is a live neighbour's
    /// (another JIT, CPython's writer): kept and appended to, never truncated; one last
    /// written before the process started is a recycled pid's, truncated.
    @Test func aNeighboursFileIsKeptAStaleOneTruncated() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let live = dir + "/perf-11.map", stale = dir + "/perf-12.map"
        createFile(live, "1 2 neighbour\n")
        createFile(stale, "1 2 dead\n")
        var old = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, stale, &old, 0) == 0)
        let kept = try OwnedFile.create(live, access: .append, initialContent: Array("3 4 ours\n".utf8),
                                        sharing: .withThisProcess)
        #expect(kept.isShared)
        #expect(readFile(live) == "1 2 neighbour\n3 4 ours\n", "appended, not renamed over")
        let replaced = try OwnedFile.create(stale, access: .append, initialContent: Array("3 4 ours\n".utf8),
                                            sharing: .withThisProcess)
        #expect(!replaced.isShared)
        #expect(readFile(stale) == "3 4 ours\n")
        withExtendedLifetime((kept, replaced)) {}
    }

    #if DEBUG
    /// Issue 24: disk full part-way through our write to a shared map: only what that write
    /// added is cut back; the neighbour's lines, before and after our earlier ones, stay.
    @Test func aFailedWriteToASharedFileCutsBackOnlyItsOwnBytes() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-13.map"
        createFile(path, "1 2 neighbour_before\n")
        let file = try OwnedFile.claim(path, access: .append, sharing: .withThisProcess)
        try file.append(Array("3 4 ours\n".utf8))
        let neighbour = open(path, O_WRONLY | O_APPEND)
        #expect(write(neighbour, "5 6 neighbour_after\n", 20) == 20)
        InjectedFaults.writeBudget.withLock { $0 = (path, 7) }
        defer { InjectedFaults.writeBudget.withLock { $0 = nil } }
        #expect(throws: SystemCallError.self) { try file.append(Array("7 8 torn_by_disk_full\n".utf8)) }
        InjectedFaults.writeBudget.withLock { $0 = nil }
        #expect(readFile(path) == "1 2 neighbour_before\n3 4 ours\n5 6 neighbour_after\n")
        #expect(write(neighbour, "9 a neighbour_last\n", 19) == 19)
        close(neighbour)
        #expect(readFile(path) == "1 2 neighbour_before\n3 4 ours\n5 6 neighbour_after\n9 a neighbour_last\n")
    }
    #endif

    #if DEBUG
    /// Issue 23, lock then verify: a live owner renames a fresh, locked file over the path
    /// between our open and our lock (and closes the old one, so our lock succeeds on it). The
    /// claim must notice that the path no longer names the file it locked, try again, and find
    /// the live owner's file: refused, untouched.
    @Test func aFileReplacedBetweenOpenAndLockIsNotTakenForStale() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let path = dir + "/perf-7.map"
        createFile(path, "1 2 old\n")
        let owner = LockedBox<SymbolFile?>(nil)
        InjectedFaults.betweenOpenAndLock.withLock { hook in
            hook = { racing in
                guard racing == path, owner.withLock({ $0 == nil }) else { return }
                // The live owner: a fresh copy, locked, renamed over the path.
                let fresh = try? OwnedFile.claim(path + ".fresh", access: .append)
                try? fresh?.append(Array("1 2 live\n".utf8))
                rename(path + ".fresh", path)
                fresh?.didRename(to: path)
                owner.withLock { $0 = fresh }
            }
        }
        defer { InjectedFaults.betweenOpenAndLock.withLock { $0 = nil } }
        do {
            _ = try OwnedFile.claim(path, access: .append)
            Issue.record("the live owner's file was taken for a stale one")
        } catch {
            // The replayed owner lives in this process, so the refusal names a second copy.
            #expect(error.description.contains("held by another copy of PerfTrampoline in this process"), "\(error)")
        }
        #expect(owner.withLock { $0 != nil }, "the race ran")
        #expect(readFile(path) == "1 2 live\n")
    }
    #endif

    /// A FIFO with no reader gives ENXIO on a non-blocking open: still "not a regular file".
    @Test func fifoWithoutReaderIsReportedAsNotARegularFile() throws {
        let dir = makeScratchDirectory()
        defer { removeTree(dir) }
        let fifo = dir + "/perf-10.map"
        #expect(mkfifo(fifo, 0o600) == 0)
        do {
            _ = try OwnedFile.claim(fifo, access: .append)
            Issue.record("a FIFO was accepted")
        } catch {
            #expect(error.description == "\(fifo) exists and is not a regular file; refusing to use it")
            #expect(error.underlying?.code == ENXIO)
        }
    }
}

/// Another process holding an exclusive `flock` on a file (flock(1)), until `stop`.
final class LockHolder {
    private let pid: pid_t

    init?(_ path: String) {
        var child: pid_t = 0
        let words = ["flock", "-x", path, "sleep", "60"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { word in strdup(word) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawnp(&child, "flock", nil, nil, argv, environ) == 0 else { return nil }
        pid = child
        // Held once our own non-blocking attempt fails.
        for _ in 0..<500 {
            let fd = open(path, O_RDONLY)
            let busy = flock(fd, LOCK_EX | LOCK_NB) != 0
            close(fd)
            if busy { return }
            usleep(10_000)
        }
        stop()
        return nil
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
