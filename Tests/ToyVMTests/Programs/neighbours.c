/* Issue 24: the library as a good neighbour in the perf map, which any code generator in a
 * process may append to (CPython's writer, a JVM agent, a native JIT). InstalledLibraryTests
 * builds this against the installed library.
 *
 *   neighbours host MODE [fsize]
 *       The host's own JIT appends a line (open, append, close) before activation, between the
 *       library's two entries, and after them. MODE perf: perf-map mode throughout; jitdump:
 *       jitdump mode for the first entry, then perf-map mode for the second (the switch that
 *       used to rename a fresh map over the host's). With "fsize", RLIMIT_FSIZE is lowered to
 *       the map's size + 4 bytes (SIGXFSZ ignored) for the second entry, a disk that is full
 *       for it: the library must switch off with one warning, the host's lines intact.
 *       Prints "sum S" and "pid N".
 *
 *   neighbours plugins DIR
 *       Loads DIR/plugin_a.so (linked to libperftrampoline.so) and DIR/plugin_b.so (its own
 *       copy, from libperftrampoline.a) with RTLD_LOCAL; each switches profiling on and calls
 *       a function of its own through a trampoline. Prints "sum S" and "pid N".
 *
 * Built with -DPLUGIN=name, the file is that plugin instead. */
#include <perftrampoline.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>

static intptr_t evaluate(void *vm, void *code, intptr_t argument) {
    (void)vm;
    return argument * 2 + (code != 0);
}

#ifdef PLUGIN
#define NAME_(x) #x
#define NAME(x) NAME_(x)
int plugin_run(void) {
    static perftrampoline_slot slot = PERFTRAMPOLINE_SLOT_INIT;
    if (perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "%s: %s\n", NAME(PLUGIN), perftrampoline_last_error());
        return -1;
    }
    return (int)perftrampoline_call(&slot, "c::" NAME(PLUGIN), evaluate, 0, &slot, 20);
}
#else
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char map_path[64];

/* The host's JIT: one whole line per write, the file opened and closed each time. */
static void neighbour_line(const char *line) {
    int fd = open(map_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (write(fd, line, strlen(line)) < 0) perror("neighbour write");
    close(fd);
}

static int host(const char *mode, int fsize) {
    perftrampoline_slot first = PERFTRAMPOLINE_SLOT_INIT, second = PERFTRAMPOLINE_SLOT_INIT;
    intptr_t sum = 0;
    neighbour_line("1000 10 jit_before\n");
    if (perftrampoline_activate(strcmp(mode, "jitdump") == 0 ? "jitdump" : "perf") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "activate: %s\n", perftrampoline_last_error());
        return 2;
    }
    sum += perftrampoline_call(&first, "c::first", evaluate, 0, &first, 1);
    neighbour_line("2000 10 jit_between\n");
    if (strcmp(mode, "jitdump") == 0 && perftrampoline_activate("perf") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "activate perf: %s\n", perftrampoline_last_error());
        return 2;
    }
    struct rlimit saved;
    getrlimit(RLIMIT_FSIZE, &saved);
    if (fsize) {
        struct stat info;
        if (stat(map_path, &info) != 0) return 2;
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit low = {(rlim_t)info.st_size + 4, saved.rlim_max};
        setrlimit(RLIMIT_FSIZE, &low);
    }
    sum += perftrampoline_call(&second, "c::second", evaluate, 0, &second, 2);
    setrlimit(RLIMIT_FSIZE, &saved);
    neighbour_line("3000 10 jit_after\n");
    printf("sum %ld\npid %d\n", (long)sum, (int)getpid());
    return 0;
}

static int plugins(const char *dir) {
    long sum = 0;
    for (const char *name = "a"; name; name = (*name == 'a' ? "b" : 0)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/plugin_%s.so", dir, name);
        void *plugin = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!plugin) { fprintf(stderr, "%s\n", dlerror()); return 2; }
        int (*run)(void) = (int (*)(void))dlsym(plugin, "plugin_run");
        if (!run) return 2;
        sum += run();
    }
    printf("sum %ld\npid %d\n", sum, (int)getpid());
    return 0;
}

int main(int argc, char **argv) {
    snprintf(map_path, sizeof map_path, "/tmp/perf-%d.map", (int)getpid());
    if (argc >= 3 && strcmp(argv[1], "host") == 0) return host(argv[2], argc >= 4 && strcmp(argv[3], "fsize") == 0);
    if (argc >= 3 && strcmp(argv[1], "plugins") == 0) return plugins(argv[2]);
    return 2;
}
#endif
