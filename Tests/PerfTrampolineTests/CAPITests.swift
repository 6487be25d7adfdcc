import CShims
import Foundation
import Synchronization
import Testing
@testable import PerfTrampoline

/// The C API's adapters (the compiled-header and linking checks are in InstalledLibraryTests).
@Suite struct CAPITests {
    /// Issue 13: one thread's failure neither changes nor frees the text another thread reads.
    /// Issue 25: `perftrampoline_release` on a slot that never had a stub is one load: it never
    /// takes the registration lock (a host frees many functions that never ran while profiling;
    /// measured 14.0 instructions per call with callgrind, ~131 before). Proven by holding the
    /// lock on this thread while another thread releases 10,000 empty slots: they must finish.
    @Test func releasingAnEmptySlotTakesNoLock() throws {
        let done = Atomic<Bool>(false)
        let perf = PerfSupport.shared
        perf.lock.lock()
        let thread = Thread {
            var slot = perftrampoline_slot(stub: 0)
            for _ in 0..<10_000 { PerfTrampoline.perftrampoline_release(&slot) }
            done.store(true, ordering: .releasing)
        }
        thread.start()
        var waited = 0
        while !done.load(ordering: .acquiring) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        let finished = done.load(ordering: .acquiring)
        perf.lock.unlock()
        #expect(finished, "release of an empty slot waited for the registration lock")
        while !done.load(ordering: .acquiring) { usleep(1_000) }
    }

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
        let length = PerfTrampoline.perftrampoline_status(&small, UInt(small.count))
        #expect(length > 7)
        #expect(small[7] == 0)
        #expect(String(cString: small).count == 7)
    }

    /// Issue 23: size_t is unsigned. SIZE_MAX as the capacity ("as much as it takes") writes
    /// the whole status; an entry size past Int.max is refused, not wrapped.
    @Test func sizeParametersAreUnsigned() {
        var large = [CChar](repeating: 0x7F, count: 512)
        let length = PerfTrampoline.perftrampoline_status(&large, UInt.max)
        #expect(length > 0 && length < 512)
        #expect(String(cString: large).utf8.count == Int(length))
        var byte: UInt8 = 0
        #expect(PerfTrampoline.perftrampoline_write_entry(&byte, UInt.max, "c::huge") == -1)
        #expect(String(cString: perftrampoline_last_error()).contains("larger than the address space"))
    }

    /// Issue 23: a long error is cut at a character boundary, never inside a UTF-8 sequence.
    @Test func aTruncatedErrorIsValidUTF8() {
        for padding in 0..<4 {
            let message = String(repeating: "a", count: 1020 + padding) + String(repeating: "é", count: 20)
            perftrampoline_set_last_error(message)
            let bytes = Array(String(cString: perftrampoline_last_error()).utf8)
            #expect(bytes.count <= 1023)
            #expect(String(validatingCString: perftrampoline_last_error()) != nil, "padding \(padding)")
        }
    }
}
