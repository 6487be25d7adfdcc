/// The unwind data of one trampoline as perf's jitdump expects it: an `.eh_frame` (one CIE,
/// one FDE) followed by an `.eh_frame_hdr` with a one-entry search table.
///
/// perf inject writes each LOAD into a small ELF: `.text` at some 8-aligned address T, then
/// `.eh_frame` at `align8(T + codeSize)`, then `.eh_frame_hdr` right after it. Every address in
/// the data is relative (pc-relative or relative to the header), so the bytes depend only on
/// the code size, never on where the code really lives.
struct EhFrame {
    static let headerSize = 20

    /// `.eh_frame` followed by `.eh_frame_hdr`.
    let bytes: [UInt8]
    /// Size of the `.eh_frame` part (CIE + FDE).
    let tableSize: Int
    let cieSize: Int

    // DWARF constants.
    private static let pcrelSdata4: UInt8 = 0x1B
    private static let datarelSdata4: UInt8 = 0x3B
    private static let udata4: UInt8 = 0x03

    init(description: FrameDescription, codeSize: Int) {
        let cie = Self.commonInformationEntry(description)
        let instructions = Self.instructions(description)
        // FDE: length, CIE pointer, pc_begin, pc_range, augmentation length, instructions.
        var fdeBody: [UInt8] = []
        let fdeOffset = cie.count
        fdeBody.appendLittleEndian(UInt32(fdeOffset + 4))  // back to the CIE from this field
        // pc_begin is pc-relative to its own field at fdeOffset + 8; the text starts
        // align8(codeSize) + fdeOffset + 8 bytes before that field.
        let textToField = Self.align8(codeSize) + fdeOffset + 8
        fdeBody.appendLittleEndian(UInt32(bitPattern: Int32(-textToField)))
        fdeBody.appendLittleEndian(UInt32(codeSize))
        fdeBody.append(0)  // no augmentation data
        fdeBody += instructions
        let fde = Self.sizedRecord(fdeBody)
        let table = cie + fde
        var header: [UInt8] = [1, Self.pcrelSdata4, Self.udata4, Self.datarelSdata4]
        // eh_frame_ptr, pc-relative to its own field at table.count + 4.
        header.appendLittleEndian(UInt32(bitPattern: Int32(-(table.count + 4))))
        header.appendLittleEndian(UInt32(1))  // fde_count
        // Search table entry, relative to the header's start: the text, then the FDE.
        header.appendLittleEndian(UInt32(bitPattern: Int32(-(Self.align8(codeSize) + table.count))))
        header.appendLittleEndian(UInt32(bitPattern: Int32(fdeOffset - table.count)))
        bytes = table + header
        tableSize = table.count
        cieSize = cie.count
    }

    static func align8(_ value: Int) -> Int { (value + 7) & ~7 }

    private static func commonInformationEntry(_ d: FrameDescription) -> [UInt8] {
        var body: [UInt8] = []
        body.appendLittleEndian(UInt32(0))  // CIE id
        body.append(1)  // version
        body += Array("zR".utf8) + [0]
        body += uleb128(UInt(d.codeAlignment))
        body += sleb128(Int(d.dataAlignment))
        body += uleb128(UInt(d.returnAddressRegister))
        body += uleb128(1)  // augmentation data length
        body.append(pcrelSdata4)  // FDE pointer encoding
        for rule in d.initial { body += encode(rule) }
        return sizedRecord(body)
    }

    private static func instructions(_ d: FrameDescription) -> [UInt8] {
        var result: [UInt8] = []
        var location = 0
        for (offset, rule) in d.rows {
            let delta = (offset - location) / Int(d.codeAlignment)
            if delta > 0 {
                if delta < 0x40 {
                    result.append(0x40 | UInt8(delta))  // DW_CFA_advance_loc
                } else {
                    result.append(0x02)  // DW_CFA_advance_loc1
                    result.append(UInt8(delta))
                }
            }
            location = offset
            result += encode(rule)
        }
        return result
    }

    private static func encode(_ rule: FrameDescription.Rule) -> [UInt8] {
        switch rule {
        case .defineCFA(let register, let offset): [0x0C] + uleb128(UInt(register)) + uleb128(UInt(offset))
        case .cfaOffset(let offset): [0x0E] + uleb128(UInt(offset))
        case .cfaRegister(let register): [0x0D] + uleb128(UInt(register))
        case .saved(let register, let factored):
            register < 0x40 ? [0x80 | register] + uleb128(UInt(factored)) : [0x05] + uleb128(UInt(register)) + uleb128(UInt(factored))
        case .restored(let register): register < 0x40 ? [0xC0 | register] : [0x06] + uleb128(UInt(register))
        case .toggleReturnAddressSigning: [0x2D]
        }
    }

    /// Prefixes the 32-bit length and pads with DW_CFA_nop to a multiple of 8 bytes.
    private static func sizedRecord(_ body: [UInt8]) -> [UInt8] {
        var padded = body
        while (padded.count + 4) % 8 != 0 { padded.append(0) }
        var record: [UInt8] = []
        record.appendLittleEndian(UInt32(padded.count))
        return record + padded
    }

    static func uleb128(_ value: UInt) -> [UInt8] {
        var value = value
        var result: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            result.append(byte)
        } while value != 0
        return result
    }

    static func sleb128(_ value: Int) -> [UInt8] {
        var value = value
        var result: [UInt8] = []
        while true {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0)
            result.append(done ? byte : byte | 0x80)
            if done { return result }
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var little = value.littleEndian
        Swift.withUnsafeBytes(of: &little) { append(contentsOf: $0) }
    }
}
