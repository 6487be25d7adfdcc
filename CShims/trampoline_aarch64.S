// The aarch64 trampoline template, for ELF (Linux) and Mach-O (macOS).
//
// Contract: stub(context, code, argument, evaluator) -> evaluator(context, code, argument).
// AAPCS64: the host arguments stay in x0-x2; the evaluator arrives in x3. The stub pushes a
// frame record (x29, x30), points x29 at it, *calls* the evaluator with blr so that its own
// address is a return address, and returns the evaluator's x0. The first instruction is a
// landing pad: paciasp when return-address signing is on (it is an implicit BTI target),
// otherwise bti c (a NOP on cores without BTI). 24 bytes, 6 instructions.
// Position independent, so the bytes are copied verbatim into the code arena.
#if defined(__aarch64__)

#if defined(__APPLE__)
#define SYMBOL(name) _##name
#else
#define SYMBOL(name) name
#endif

#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 1)
#define PERFTRAMPOLINE_SIGN_RA 1
#endif

    .text
    .globl SYMBOL(perftrampoline_asm_template)
    .globl SYMBOL(perftrampoline_asm_template_end)
#if defined(__ELF__)
    .type SYMBOL(perftrampoline_asm_template), %function
#endif
    .p2align 4
SYMBOL(perftrampoline_asm_template):
    .cfi_startproc
#if defined(PERFTRAMPOLINE_SIGN_RA)
    hint #25
    .cfi_negate_ra_state
#else
    hint #34
#endif
    stp x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset x29, -16
    .cfi_offset x30, -8
    mov x29, sp
    .cfi_def_cfa_register x29
    blr x3
    ldp x29, x30, [sp], #16
    .cfi_def_cfa sp, 0
    .cfi_restore x29
    .cfi_restore x30
#if defined(PERFTRAMPOLINE_SIGN_RA)
    hint #29
    .cfi_negate_ra_state
#endif
    ret
    .cfi_endproc
SYMBOL(perftrampoline_asm_template_end):
#if defined(__ELF__)
    .size SYMBOL(perftrampoline_asm_template), SYMBOL(perftrampoline_asm_template_end) - SYMBOL(perftrampoline_asm_template)
#endif

// BTI/PAC: the stub starts with a landing pad and signs its return address when the host
// does. When the host builds with -mbranch-protection, say so in a GNU property note; without
// it the linker ANDs our object's missing note into the whole binary (ld -z force-bti names us).
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define PERFTRAMPOLINE_PROPERTY_BTI 1
#else
#define PERFTRAMPOLINE_PROPERTY_BTI 0
#endif
#if defined(__ARM_FEATURE_PAC_DEFAULT) && __ARM_FEATURE_PAC_DEFAULT
#define PERFTRAMPOLINE_PROPERTY_PAC 2
#else
#define PERFTRAMPOLINE_PROPERTY_PAC 0
#endif
#if defined(__ELF__) && (PERFTRAMPOLINE_PROPERTY_BTI | PERFTRAMPOLINE_PROPERTY_PAC)
    .pushsection .note.gnu.property, "a"
    .p2align 3
    .long 4                 // n_namesz
    .long 16                // n_descsz
    .long 5                 // NT_GNU_PROPERTY_TYPE_0
    .asciz "GNU"
    .long 0xc0000000        // GNU_PROPERTY_AARCH64_FEATURE_1_AND
    .long 4                 // pr_datasz
    .long (PERFTRAMPOLINE_PROPERTY_BTI | PERFTRAMPOLINE_PROPERTY_PAC)
    .p2align 3
    .popsection
#endif

#endif // __aarch64__

#if defined(__ELF__)
    .section .note.GNU-stack,"",%progbits
#endif
