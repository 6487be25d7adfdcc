import CShims


// The C API declared in Sources/CPerfTrampoline/include/perftrampoline.h, for interpreters written in C.
// Each function is a thin adapter over PerfSupport.shared; the fast path is inline in the header.

/// C: reads `-Xperf`-style flags in `argv[1...]` and `PERFSUPPORT`; returns 0 off, 1 perf map, 2 jitdump.
@_cdecl("perftrampoline_configure")
public func perftrampoline_configure(_ argc: Int32, _ argv: UnsafePointer<UnsafePointer<CChar>>?) -> Int32 {
    var arguments: [String] = []
    if let argv { for index in 1..<max(1, Int(argc)) { arguments.append(String(cString: argv[index])) } }
    return configure(arguments: arguments)
}

/// C: `perftrampoline_configure` from the environment only (the host's argv is its script's).
@_cdecl("perftrampoline_configure_environment")
public func perftrampoline_configure_environment() -> Int32 {
    configure(arguments: [])
}

private func configure(arguments: [String]) -> Int32 {
    // Nothing asked for and profiling never switched on: the answer is "off" and there is nothing
    // to set up, so the shared state is not even made (the start-up a host pays, issue 26).
    if !arguments.contains(where: { $0.startsWithBytes("-X") }) && perftrampoline_flag_is_set() == 0
        && !Environment.isSet("PERFSUPPORT") && !Environment.isSet("PERFTRAMPOLINE_SIGNAL") {
        return Int32(code(of: .off))
    }
    let environment = Environment.current
    return Int32(code(of: PerfSupport.shared.applyConfiguration(arguments: arguments, perfSupport: environment.perfSupport,
                                                                signalSwitch: environment.signalSwitch)))
}

/// C: switches profiling on in mode "perf" or "jitdump"; 0, or -1 with ``perftrampoline_last_error()``.
@_cdecl("perftrampoline_activate")
public func perftrampoline_activate(_ mode: UnsafePointer<CChar>) -> Int32 {
    do {
        try PerfSupport.shared.activate(try ProfilingMode(name: String(cString: mode)))
        return 0
    } catch {
        perftrampoline_set_last_error(error.description)
        return -1
    }
}

/// C: installs the signal switch (see ``PerfSupport/installSignalSwitch(_:mode:)``); 0 or -1.
@_cdecl("perftrampoline_install_signal_switch")
public func perftrampoline_install_signal_switch(_ signal: Int32, _ mode: UnsafePointer<CChar>) -> Int32 {
    do {
        try PerfSupport.shared.installSignalSwitch(signal, mode: try ProfilingMode(name: String(cString: mode)))
        return 0
    } catch {
        perftrampoline_set_last_error(error.description)
        return -1
    }
}

/// C: applies pending signals of the switch.
@_cdecl("perftrampoline_apply_pending_switch")
public func perftrampoline_apply_pending_switch() {
    PerfSupport.shared.applyPendingSwitch()
}

/// C: switches profiling off.
@_cdecl("perftrampoline_deactivate")
public func perftrampoline_deactivate() {
    PerfSupport.shared.deactivate()
}

/// C: the cold path of the inline `perftrampoline_stub_for`: creates, names and publishes a stub.
@_cdecl("perftrampoline_make_stub")
public func perftrampoline_make_stub(_ slot: UnsafeMutablePointer<perftrampoline_slot>,
                                     _ name: UnsafePointer<CChar>) -> perftrampoline_stub? {
    guard let address = PerfSupport.shared.makeStub(
        load: { perftrampoline_slot_load(slot) },
        publish: { perftrampoline_slot_publish(slot, $0) },
        name: String(cString: name)) else { return nil }
    return unsafeBitCast(address, to: perftrampoline_stub.self)
}

/// C: the cold path of the lazy forms: the host's writer names the code object, then as
/// ``perftrampoline_make_stub(_:_:)``. A name that does not fit 256 bytes is asked for again in
/// a buffer of its length. Threads that enter one code object for the first time at once take
/// turns (the naming lock): the first runs the writer, the others find its stub, so a writer
/// runs once per code object.
@_cdecl("perftrampoline_make_stub_lazy")
public func perftrampoline_make_stub_lazy(_ slot: UnsafeMutablePointer<perftrampoline_slot>,
                                          _ writer: perftrampoline_name_writer,
                                          _ vm: UnsafeMutableRawPointer?, _ code: UnsafeMutableRawPointer?) -> perftrampoline_stub? {
    let perf = PerfSupport.shared
    var name: String?
    let stub = perf.namingLock.withLock { () -> perftrampoline_stub? in
        if let existing = existingStub(slot) { return existing }  // another thread named it
        name = lazyName(writer, vm, code)
        return makeStubNamed(slot, name!)
    }
    // An activation a signal started is driven here, outside the naming lock (issue 23); the
    // name already written is used again, so the writer still runs once per code object.
    guard stub == nil, let name, perf.driveUnclaimedActivation() else { return stub }
    return perf.namingLock.withLock { existingStub(slot) ?? makeStubNamed(slot, name) }
}

private func existingStub(_ slot: UnsafeMutablePointer<perftrampoline_slot>) -> perftrampoline_stub? {
    UnsafeRawPointer(bitPattern: perftrampoline_slot_load(slot)).map { unsafeBitCast($0, to: perftrampoline_stub.self) }
}

/// What the host's writer names the code object: in 256 bytes, or asked again in a buffer of
/// its length.
private func lazyName(_ writer: perftrampoline_name_writer, _ vm: UnsafeMutableRawPointer?,
                      _ code: UnsafeMutableRawPointer?) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer -> String in
        let length = writer(vm, code, buffer.baseAddress!, 256)
        if length < 256 { return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(length)), as: UTF8.self) }
        let large = UnsafeMutablePointer<CChar>.allocate(capacity: Int(length) + 1)
        defer { large.deallocate() }
        let again = min(writer(vm, code, large, length + 1), length)
        return String(decoding: UnsafeRawBufferPointer(start: large, count: Int(again)), as: UTF8.self)
    }
}

/// The lazy cold path's stub, under the naming lock: it does not drive an activation there.
private func makeStubNamed(_ slot: UnsafeMutablePointer<perftrampoline_slot>, _ name: String) -> perftrampoline_stub? {
    PerfSupport.shared.makeStub(
        load: { perftrampoline_slot_load(slot) }, publish: { perftrampoline_slot_publish(slot, $0) }, name: name,
        drivesActivation: false
    ).map { unsafeBitCast($0, to: perftrampoline_stub.self) }
}

/// C: gives back a code object's trampoline (see ``PerfSupport/release(_:)``). A slot that
/// never had a stub costs one load: no lock (issue 25).
@_cdecl("perftrampoline_release")
public func perftrampoline_release(_ slot: UnsafeMutablePointer<perftrampoline_slot>) {
    guard perftrampoline_slot_load(slot) != 0 else { return }
    PerfSupport.shared.release(load: { perftrampoline_slot_load(slot) }, clear: { perftrampoline_slot_publish(slot, 0) })
}

/// C: announces another code generator's code in the shared perf map; 0 or -1.
@_cdecl("perftrampoline_write_entry")
public func perftrampoline_write_entry(_ address: UnsafeRawPointer, _ size: UInt, _ name: UnsafePointer<CChar>) -> Int32 {
    // size_t is unsigned: a size past Int.max is refused as absurd, not wrapped negative.
    guard let size = Int(exactly: size) else {
        perftrampoline_set_last_error("invalid argument: entry size \(size) is larger than the address space")
        return -1
    }
    do {
        try PerfSupport.shared.writePerfMapEntry(address: address, size: size, name: String(cString: name))
        return 0
    } catch {
        perftrampoline_set_last_error(error.description)
        return -1
    }
}

/// C: writes the one-line status into `buffer` (NUL-terminated, truncated); returns its full length.
@_cdecl("perftrampoline_status")
public func perftrampoline_status(_ buffer: UnsafeMutablePointer<CChar>, _ capacity: UInt) -> UInt {
    // size_t is unsigned: SIZE_MAX ("as much as it takes") must write everything, not nothing.
    let text = Array(PerfSupport.shared.status.description.utf8)
    guard capacity > 0 else { return UInt(text.count) }
    let count = Int(min(UInt(text.count), capacity - 1))
    text.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: count) }
    buffer[count] = 0
    return UInt(text.count)
}

private func code(of mode: ProfilingMode) -> Int {
    switch mode {
    case .off: 0
    case .perfMap: 1
    case .jitDump: 2
    }
}
