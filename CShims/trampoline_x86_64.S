// The x86_64 trampoline template, for ELF (Linux) and Mach-O (macOS).
//
// Contract: stub(context, code, argument, evaluator) -> evaluator(context, code, argument).
// SysV: the three host arguments arrive in rdi, rsi, rdx and are left untouched; the evaluator
// arrives in rcx. The stub builds a frame record (push rbp; mov rsp, rbp) so that frame-pointer
// unwinders walk through it, and *calls* the evaluator so that its own address is a return
// address on the stack. 12 bytes: endbr64 (4) push (1) mov (3) call (2) pop (1) ret (1).
// Position independent, so the bytes are copied verbatim into the code arena.
// One statement per line: Mach-O assemblers do not accept ';' separators in every mode.
#if defined(__x86_64__)

#if defined(__APPLE__)
#define SYMBOL(name) _##name
#else
#define SYMBOL(name) name
#endif

    .text
    .globl SYMBOL(perftrampoline_asm_template)
    .globl SYMBOL(perftrampoline_asm_template_end)
#if defined(__ELF__)
    .type SYMBOL(perftrampoline_asm_template), @function
#endif
    .p2align 4
SYMBOL(perftrampoline_asm_template):
    .cfi_startproc
    endbr64
    pushq %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq %rsp, %rbp
    .cfi_def_cfa_register %rbp
    callq *%rcx
    popq %rbp
    .cfi_def_cfa %rsp, 8
    .cfi_restore %rbp
    retq
    .cfi_endproc
SYMBOL(perftrampoline_asm_template_end):
#if defined(__ELF__)
    .size SYMBOL(perftrampoline_asm_template), SYMBOL(perftrampoline_asm_template_end) - SYMBOL(perftrampoline_asm_template)
#endif

// CET: the stub is IBT-clean (endbr64 first) and SHSTK-clean (call/ret balanced). When the
// host builds with -fcf-protection, say so in a GNU property note; without it the linker ANDs
// our object's missing note into the whole binary and silently switches IBT/SHSTK off.
#if defined(__ELF__) && defined(__CET__)
    .pushsection .note.gnu.property, "a"
    .p2align 3
    .long 4                 // n_namesz
    .long 16                // n_descsz
    .long 5                 // NT_GNU_PROPERTY_TYPE_0
    .asciz "GNU"
    .long 0xc0000002        // GNU_PROPERTY_X86_FEATURE_1_AND
    .long 4                 // pr_datasz
    .long (__CET__ & 3)     // IBT (1) and SHSTK (2), as the compiler was asked for
    .p2align 3
    .popsection
#endif

#endif // __x86_64__

#if defined(__ELF__)
    .section .note.GNU-stack,"",%progbits
#endif
