// What the library needs to know to share the perf map with other writers in its process
// (issue 24): when this process started, and whether it already holds a file's lock through
// another open file description (a second copy of the library).
#if canImport(Glibc)
import Glibc
#elseif canImport(CLibc)
import CLibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension System {
    /// When this process started, in nanoseconds since the epoch, to the kernel's clock tick
    /// (10 ms here); nil where it cannot be known (then every unlocked file is taken for a
    /// recycled pid's). A fork child started at its fork.
    ///
    /// Linux: `starttime` of /proc/self/stat (ticks since boot, `CLOCK_BOOTTIME`), carried to
    /// the wall clock by the current difference between the two clocks.
    static func processStartNanoseconds() -> Int64? {
        #if os(Linux) || PERFTRAMPOLINE_LINUX
        guard let text = readSmallFile("/proc/self/stat"), let close = text.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // Fields after the command's closing parenthesis start at field 3 (state); starttime is 22.
        let fields = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19, let ticks = Int64(String(decoding: fields[19], as: UTF8.self)) else { return nil }
        let perSecond = Int64(sysconf(Int32(_SC_CLK_TCK)))
        guard perSecond > 0 else { return nil }
        var boot = timespec(), wall = timespec()
        guard clock_gettime(CLOCK_BOOTTIME, &boot) == 0, clock_gettime(CLOCK_REALTIME, &wall) == 0 else { return nil }
        let startSinceBoot = ticks / perSecond * 1_000_000_000 + ticks % perSecond * (1_000_000_000 / perSecond)
        let bootNanoseconds = Int64(boot.tv_sec) * 1_000_000_000 + Int64(boot.tv_nsec)
        let wallNanoseconds = Int64(wall.tv_sec) * 1_000_000_000 + Int64(wall.tv_nsec)
        return wallNanoseconds - (bootNanoseconds - startSinceBoot)
        #else
        return nil
        #endif
    }

    /// Whether this process holds a `flock` on the file `identity` (seen from another open file
    /// description than the one that was refused: a second copy of the library, which cannot
    /// see the first's state). Linux: /proc/locks, whose pids are in our pid namespace.
    static func processHoldsFileLock(_ identity: FileIdentity) -> Bool {
        #if os(Linux) || PERFTRAMPOLINE_LINUX
        guard let text = readSmallFile("/proc/locks", limit: 1 << 22) else { return false }
        let device = identity.device
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let file = "\(hex2(major)):\(hex2(minor)):\(identity.inode)"
        let pid = String(processID)
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (a waiter's line has "->" after the number).
        for line in text.split(separator: UInt8(ascii: "\n")) {
            let words = line.split(separator: UInt8(ascii: " "))
            guard words.count >= 6, words[1].elementsEqual("FLOCK".utf8), words[4].elementsEqual(pid.utf8),
                  words[5].elementsEqual(file.utf8) else { continue }
            return true
        }
        return false
        #else
        return false
        #endif
    }

    private static func hex2(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return digits.utf8.count < 2 ? "0" + digits : digits
    }

    /// A /proc file's bytes (read to the end, at most `limit`), or nil.
    private static func readSmallFile(_ path: String, limit: Int = 1 << 16) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { System.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return bytes
    }
}
