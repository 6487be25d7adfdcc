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
        let owner = try OwnedFile.claim(path, access: .append)
        try owner.append(Array("1 2 live\n".utf8))
        do {
            _ = try OwnedFile.claim(path, access: .append)
            Issue.record("a live file was claimed twice")
        } catch {
            #expect(error.description.contains("is in use by another live process"))
        }
        #expect(readFile(path) == "1 2 live\n")
        withExtendedLifetime(owner) {}
    }

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
            #expect(error.description.contains("is in use by another live process"), "\(error)")
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
