import CShims
import Foundation
import Synchronization
import Testing
@testable import PerfTrampoline

/// The C API's adapters (the compiled-header and linking checks are in InstalledLibraryTests).
@Suite struct CAPITests {
    /// Issue 13: one thread's failure neither changes nor frees the text another thread reads.
    @Test func lastErrorIsPerThread() throws {
        #expect(PerfTrampoline.perftrampoline_activate("no-such-mode") == PERFTRAMPOLINE_ERROR)
        let mine = String(cString: perftrampoline_last_error())
        #expect(mine.contains("no-such-mode"))
        let other = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let before = String(cString: perftrampoline_last_error())
            _ = PerfTrampoline.perftrampoline_activate("another-bad-mode")
            other.withLock { $0 = before + "|" + String(cString: perftrampoline_last_error()) }
            done.signal()
        }
        thread.start()
        done.wait()
        let seen = try #require(other.withLock { $0 })
        #expect(seen.hasPrefix("|"), "a new thread starts with an empty error")
        #expect(seen.contains("another-bad-mode"))
        #expect(String(cString: perftrampoline_last_error()) == mine, "this thread's text is unchanged")
    }

    @Test func statusReportsItsFullLengthWhenTruncated() {
        var small = [CChar](repeating: 0x7F, count: 8)
        let length = PerfTrampoline.perftrampoline_status(&small, small.count)
        #expect(length > 7)
        #expect(small[7] == 0)
        #expect(String(cString: small).count == 7)
    }
}
