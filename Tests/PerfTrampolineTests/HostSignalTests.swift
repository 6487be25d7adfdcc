import Foundation
import Testing
@testable import PerfTrampoline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Issue 24: the switch never takes a signal the host needs: no fault signal, by name or by
/// number, and no signal the host already handles; warnings echo values on one line.
@Suite struct HostSignalTests {
    @Test(arguments: ["11", "SEGV", "7", "BUS", "4", "ILL", "8", "FPE", "5", "TRAP", "6", "ABRT", "31", "SYS", "9", "19"])
    func faultSignalsAreRefusedByNameAndNumber(name: String) {
        #expect(System.signalNumber(named: name) == nil, "\(name)")
    }

    @Test func ordinarySignalsAreAccepted() {
        #expect(System.signalNumber(named: "12") == SIGUSR2)
        #expect(System.signalNumber(named: "USR1") == SIGUSR1)
    }

    /// The API refuses a fault signal too (the C API's perftrampoline_install_signal_switch).
    @Test func theAPIRefusesAFaultSignal() {
        #expect(throws: PerfSupportError.self) { try PerfSupport.shared.installSignalSwitch(SIGSEGV) }
    }

    /// A host that installed its own handler keeps it: the switch is refused with a reason.
    @Test func aSignalTheHostHandlesIsNotTakenOver() throws {
        var hostAction = sigaction()
        #if canImport(Glibc)
        hostAction.__sigaction_handler.sa_handler = { _ in }
        #else
        hostAction.__sigaction_u.__sa_handler = { _ in }
        #endif
        var previous = sigaction()
        #expect(sigaction(SIGURG, &hostAction, &previous) == 0)
        defer { _ = sigaction(SIGURG, &previous, nil) }
        #expect(System.signalHasHostHandler(SIGURG))
        do {
            try PerfSupport.shared.installSignalSwitch(SIGURG)
            Issue.record("the host's SIGURG handler was replaced")
        } catch {
            #expect(error.description.contains("already has a handler"), "\(error)")
        }
        var now = sigaction()
        #expect(sigaction(SIGURG, nil, &now) == 0)
        #if canImport(Glibc)
        #expect(now.__sigaction_handler.sa_handler != nil)
        #endif
        #expect(System.signalHasHostHandler(SIGURG), "still the host's")
    }

    @Test func echoedValuesStayOnOneLine() {
        let error = PerfSupportError.unknownMode("PERFSUPPORT=perf\nfake: line")
        #expect(!error.description.contains("\n"))
        #expect(error.description.contains("perf\\nfake"), "\(error.description)")
    }
}
