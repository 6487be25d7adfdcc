// Accessors for the hand-written trampoline template: Swift cannot import the bare labels.
#include "CShims.h"

#if defined(__x86_64__) || defined(__aarch64__)
extern const char perftrampoline_asm_template[];
extern const char perftrampoline_asm_template_end[];

const void *perftrampoline_asm_template_start(void) { return perftrampoline_asm_template; }

size_t perftrampoline_asm_template_size(void) {
    return (size_t)(perftrampoline_asm_template_end - perftrampoline_asm_template);
}
#else
const void *perftrampoline_asm_template_start(void) { return NULL; }
size_t perftrampoline_asm_template_size(void) { return 0; }
#endif
