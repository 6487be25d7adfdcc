// The calling thread's kernel id, as jitdump records want it (u32). Swift cannot call the
// variadic syscall(2), and glibc's gettid() wrapper is not exposed to Swift everywhere.
#include "CShims.h"

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
uint32_t perftrampoline_thread_id(void) { return (uint32_t)syscall(SYS_gettid); }
#elif defined(__APPLE__)
#include <pthread.h>
uint32_t perftrampoline_thread_id(void) {
    uint64_t id = 0;
    pthread_threadid_np(NULL, &id);
    return (uint32_t)id;
}
#else
#include <pthread.h>
uint32_t perftrampoline_thread_id(void) { return (uint32_t)(uintptr_t)pthread_self(); }
#endif
