// fork-probe random SEED MODE [FORKS [STEPS]]   (MODE: perf or jitdump; FORKS: 0 to 3, default 3;
//   STEPS: each thread's steps, default 400000; the emulated test runs fewer)
//   Issue 23: a randomized interleaving. 4 threads create, call and release code objects
//   (a released object comes back under a new or the same name), while every thread delivers
//   the switch's signal (USR2) and switches to the other mode and back at random, and the main
//   thread forks 3 times. Each child goes on
//   alone for a while (its own calls, releases, signals), then, like the parent once the
//   threads are done, checks its own map or dump (switching on in MODE first if off or in the
//   other mode): every code object
//   whose slot holds a stub must be named there under its current name (perf map: every line
//   for that address; jitdump: the address's last load record). Every call's result must be
//   what the evaluator computes directly. Prints "wrong W", "unnamed U" for the parent and
//   "child exits E E E" (0: the child's checks passed). FORKS 0 is the same without forks: what
//   the ThreadSanitizer pass runs (Scripts/test.sh; TSan does not support fork in a threaded
//   process).
#include <perftrampoline.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void fork_probe_remove_files(pid_t pid);  // main.c

#define THREADS 4
#define OBJECTS 16

struct code {
    perftrampoline_slot slot;
    char name[64];
    int thread, index, generation;
};

static struct code codes[THREADS][OBJECTS];
static const char *mode;
static long wrong;
static long steps_per_thread = 400000;

static intptr_t evaluate(void *vm, void *code, intptr_t argument) {
    (void)vm;
    return argument * 3 + ((struct code *)code)->index;
}

static void rename_code(struct code *c) {
    // Every third generation reuses a name, so released stubs are taken back by name too.
    snprintf(c->name, sizeof c->name, "rnd::t%d_o%d_g%d", c->thread, c->index, c->generation % 3 == 0 ? 0 : c->generation);
}

static void step(struct code *row, unsigned *seed) {
    struct code *c = &row[rand_r(seed) % OBJECTS];
    int choice = rand_r(seed) % 100;
    if (choice < 80) {
        intptr_t argument = rand_r(seed) % 1000;
        if (perftrampoline_call(&c->slot, c->name, evaluate, 0, c, argument) != argument * 3 + c->index)
            __atomic_add_fetch(&wrong, 1, __ATOMIC_RELAXED);
    } else if (choice < 96) {
        perftrampoline_release(&c->slot);
        c->generation++;
        rename_code(c);
    } else if (choice < 99) {
        raise(SIGUSR2);
    } else {
        // A switch to the other mode or back: a catch-up of the file it makes active (in
        // slices of PERFTRAMPOLINE_CATCHUP_SLICE entries in a debug build: the test sets 2).
        // Refused without jitdump support (the c and ffi backends): nothing changes then.
        (void)perftrampoline_activate(rand_r(seed) % 2 ? mode : strcmp(mode, "perf") == 0 ? "jitdump" : "perf");
    }
}

static void *worker(void *argument) {
    int thread = (int)(intptr_t)argument;
    unsigned seed = (unsigned)(thread * 7919) ^ (unsigned)(uintptr_t)&seed;
    for (long i = 0; i < steps_per_thread; i++) step(codes[thread], &seed);
    return 0;
}

static unsigned char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return 0;
    size_t capacity = 1 << 16, used = 0;
    unsigned char *bytes = malloc(capacity);
    size_t got;
    while ((got = fread(bytes + used, 1, capacity - used, file)) > 0) {
        used += got;
        if (used == capacity) bytes = realloc(bytes, capacity *= 2);
    }
    fclose(file);
    *length = used;
    return bytes;
}

// The name the file gives `address` (perf map: NULL if two lines disagree; jitdump: the last
// load record's), or NULL. The result points into `bytes`.
static const char *name_in_file(const unsigned char *bytes, size_t length, uintptr_t address, int *conflict) {
    const char *found = 0;
    *conflict = 0;
    if (strcmp(mode, "jitdump") == 0) {
        if (length < 40) return 0;
        uint32_t header_size;
        memcpy(&header_size, bytes + 8, 4);
        for (size_t at = header_size; at + 16 <= length;) {
            uint32_t id, size;
            memcpy(&id, bytes + at, 4);
            memcpy(&size, bytes + at + 4, 4);
            if (size < 16 || at + size > length) break;
            if (id == 0 && size > 56) {  // JIT_CODE_LOAD: pid, tid, vma, code_addr, size, index, name
                uint64_t code_address;
                memcpy(&code_address, bytes + at + 32, 8);
                if (code_address == address) found = (const char *)bytes + at + 56;
            }
            at += size;
        }
        return found;
    }
    const char *text = (const char *)bytes, *end = text + length;
    while (text < end) {
        const char *newline = memchr(text, '\n', (size_t)(end - text));
        if (!newline) break;
        char *after;
        uintptr_t line_address = (uintptr_t)strtoull(text, &after, 16);
        if (line_address == address) {
            const char *name = strchr(strchr(text, ' ') + 1, ' ') + 1;
            if (found && (size_t)(strchr(found, '\n') - found) != (size_t)(newline - name)) *conflict = 1;
            else if (found && memcmp(found, name, (size_t)(newline - name)) != 0) *conflict = 1;
            found = name;
        }
        text = newline + 1;
    }
    return found;
}

// Applies the pending signals; if that leaves profiling on, the files must already be right;
// if off, switches on (a catch-up). Then counts the code objects holding a stub that this
// process's file does not name under their current name.
static long unnamed_stubs(const char *who) {
    perftrampoline_apply_pending_switch();
    char status[512];
    (void)perftrampoline_status(status, sizeof status);
    int was_on = strncmp(status, strcmp(mode, "jitdump") == 0 ? "mode=jitDump " : "mode=perfMap ", 13) == 0;
    if (!was_on && perftrampoline_activate(mode) != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "%s: activate: %s\n", who, perftrampoline_last_error());
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, strcmp(mode, "jitdump") == 0 ? "/tmp/jit-%d.dump" : "/tmp/perf-%d.map", (int)getpid());
    size_t length = 0;
    unsigned char *bytes = read_file(path, &length);
    long unnamed = 0, stubs = 0;
    for (int t = 0; t < THREADS; t++) {
        for (int o = 0; o < OBJECTS; o++) {
            struct code *c = &codes[t][o];
            uintptr_t stub = __atomic_load_n(&c->slot.stub, __ATOMIC_ACQUIRE);
            if (!stub) continue;
            stubs++;
            int conflict = 0;
            const char *name = bytes ? name_in_file(bytes, length, stub, &conflict) : 0;
            size_t expected = strlen(c->name);
            if (!name || conflict || strncmp(name, c->name, expected) != 0 || (name[expected] != '\n' && name[expected] != 0)) {
                unnamed++;
                fprintf(stderr, "%s: %s at %lx named %.40s%s\n", who, c->name, (unsigned long)stub, name ? name : "(nothing)",
                        conflict ? " (and differently elsewhere)" : "");
            }
        }
    }
    free(bytes);
    printf("%s stubs %ld (%s)\n", who, stubs, was_on ? "on" : "switched on");
    return unnamed;
}

int random_interleaving(const char *seed_text, const char *requested_mode, int forks, long steps) {
    mode = requested_mode;
    if (forks < 0 || forks > 3) forks = 3;
    if (steps > 0) steps_per_thread = steps;
    unsigned seed = (unsigned)strtoul(seed_text, 0, 10);
    if (perftrampoline_install_signal_switch(SIGUSR2, mode) != PERFTRAMPOLINE_OK ||
        perftrampoline_activate(mode) != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    for (int t = 0; t < THREADS; t++) {
        for (int o = 0; o < OBJECTS; o++) {
            codes[t][o] = (struct code){PERFTRAMPOLINE_SLOT_INIT, "", t, o, 0};
            rename_code(&codes[t][o]);
        }
    }
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], 0, worker, (void *)(intptr_t)t) != 0) return 2;
    }
    pid_t children[3];
    for (int f = 0; f < forks; f++) {
        usleep((useconds_t)(rand_r(&seed) % 20000));
        fflush(stdout);
        children[f] = fork();
        if (children[f] < 0) return 2;
        if (children[f] == 0) {
            // Alone now: the other threads' code objects are as the fork left them.
            for (int i = 0; i < 3000; i++) step(codes[rand_r(&seed) % THREADS], &seed);
            long unnamed = unnamed_stubs("child");
            fflush(stdout);
            fork_probe_remove_files(getpid());
            _exit(unnamed == 0 && wrong == 0 ? 0 : 3);
        }
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], 0);
    printf("child exits");
    for (int f = 0; f < forks; f++) {
        int status = 0;
        waitpid(children[f], &status, 0);
        printf(" %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    printf("\n");
    long unnamed = unnamed_stubs("parent");
    printf("wrong %ld\nunnamed %ld\npid %d\n", wrong, unnamed, (int)getpid());
    return 0;
}
