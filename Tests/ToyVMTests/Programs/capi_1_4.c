/* Issue 25: the C API 1.4 additions, as a host uses them (InstalledLibraryTests builds this with
 * gcc and clang at -O2 against the installed library).
 *   capi_1_4 flag       a thread spins on perftrampoline_is_active() while the main thread
 *                       switches profiling on, then off: the spinner must see both changes.
 *   capi_1_4 lazy       perftrampoline_call_lazy over 3 code objects, 1,000 calls each: the name
 *                       writer runs once per code object (0 times while off); a 300-byte name
 *                       arrives whole. Prints "writer calls N" and "sum S".
 *   capi_1_4 env ARGS   perftrampoline_configure_environment with -Xperf in argv: argv is
 *                       ignored. Prints "mode M".
 *   capi_1_4 threads    8 threads call the same 64 code objects through perftrampoline_call_lazy,
 *                       200 rounds each, all starting at once: the name writer must run exactly
 *                       once per code object. Prints "writer calls min N max M", "sum S". */
#include <perftrampoline.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int seen_on, seen_off;

static void *spin(void *unused) {
    (void)unused;
    while (!perftrampoline_is_active()) {
    }
    seen_on = 1;
    while (perftrampoline_is_active()) {
    }
    seen_off = 1;
    return 0;
}

static void pause_briefly(void) {
    struct timespec delay = {0, 50 * 1000 * 1000};
    nanosleep(&delay, 0);
}

static int flag(void) {
    pthread_t thread;
    if (pthread_create(&thread, 0, spin, 0) != 0) return 2;
    pause_briefly();
    if (perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) return 2;
    pause_briefly();
    perftrampoline_deactivate();
    pthread_join(thread, 0);
    printf("seen on %d off %d\n", seen_on, seen_off);
    return 0;
}

struct code { perftrampoline_slot slot; int index; };
static int writer_calls;

static size_t write_name(void *vm, void *code, char *buffer, size_t capacity) {
    (void)vm;
    struct code *c = code;
    writer_calls++;
    if (c->index == 2) {  /* a 300-byte name: longer than the library's first buffer */
        char name[301];
        memset(name, 'x', 300);
        memcpy(name, "capi::long_", 11);
        name[300] = 0;
        return (size_t)snprintf(buffer, capacity, "%s", name);
    }
    return (size_t)snprintf(buffer, capacity, "capi::function_%d", c->index);
}

static intptr_t evaluate(void *vm, void *code, intptr_t argument) {
    (void)vm;
    return argument + ((struct code *)code)->index;
}

static int lazy(void) {
    struct code codes[3] = {{PERFTRAMPOLINE_SLOT_INIT, 0}, {PERFTRAMPOLINE_SLOT_INIT, 1}, {PERFTRAMPOLINE_SLOT_INIT, 2}};
    intptr_t sum = 0;
    for (int i = 0; i < 1000; i++)
        for (int c = 0; c < 3; c++) sum += perftrampoline_call_lazy(&codes[c].slot, write_name, evaluate, 0, &codes[c], 1);
    printf("writer calls off %d\n", writer_calls);
    if (perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) return 2;
    for (int i = 0; i < 1000; i++)
        for (int c = 0; c < 3; c++) sum += perftrampoline_call_lazy(&codes[c].slot, write_name, evaluate, 0, &codes[c], 1);
    printf("writer calls %d\nsum %ld\npid %d\n", writer_calls, (long)sum, (int)getpid());
    for (int c = 0; c < 3; c++) perftrampoline_release(&codes[c].slot);
    perftrampoline_slot never = PERFTRAMPOLINE_SLOT_INIT;
    perftrampoline_release(&never);  /* one load, nothing else */
    return 0;
}

#define SHARED 64
static struct counted { perftrampoline_slot slot; int index; int calls; } shared_codes[SHARED];
static pthread_barrier_t start_line;

static size_t write_counted(void *vm, void *code, char *buffer, size_t capacity) {
    (void)vm;
    struct counted *c = code;
    __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
    return (size_t)snprintf(buffer, capacity, "capi::shared_%d", c->index);
}

static intptr_t evaluate_counted(void *vm, void *code, intptr_t argument) {
    (void)vm;
    return argument + ((struct counted *)code)->index;
}

static long thread_sums[8];

static void *call_shared(void *argument) {
    long thread = (long)(intptr_t)argument, sum = 0;
    pthread_barrier_wait(&start_line);
    for (int round = 0; round < 200; round++)
        for (int i = 0; i < SHARED; i++) {
            struct counted *c = &shared_codes[(i + thread * 8) % SHARED];
            sum += (long)perftrampoline_call_lazy(&c->slot, write_counted, evaluate_counted, 0, c, 1);
        }
    thread_sums[thread] = sum;
    return 0;
}

static int threads(void) {
    for (int i = 0; i < SHARED; i++) shared_codes[i] = (struct counted){PERFTRAMPOLINE_SLOT_INIT, i, 0};
    if (perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) return 2;
    pthread_t workers[8];
    pthread_barrier_init(&start_line, 0, 8);
    for (long t = 0; t < 8; t++)
        if (pthread_create(&workers[t], 0, call_shared, (void *)(intptr_t)t) != 0) return 2;
    long sum = 0;
    for (int t = 0; t < 8; t++) {
        pthread_join(workers[t], 0);
        sum += thread_sums[t];
    }
    int least = 1 << 30, most = 0;
    for (int i = 0; i < SHARED; i++) {
        if (shared_codes[i].calls < least) least = shared_codes[i].calls;
        if (shared_codes[i].calls > most) most = shared_codes[i].calls;
    }
    printf("writer calls min %d max %d\nsum %ld\npid %d\n", least, most, sum, (int)getpid());
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "threads") == 0) return threads();
    if (argc >= 2 && strcmp(argv[1], "flag") == 0) return flag();
    if (argc >= 2 && strcmp(argv[1], "lazy") == 0) return lazy();
    if (argc >= 2 && strcmp(argv[1], "env") == 0) {
        printf("mode %d\n", perftrampoline_configure_environment());
        printf("pid %d\n", (int)getpid());
        return 0;
    }
    return 2;
}
