// Fork test programs (ForkTests).
//
//   fork-probe kill STUBS TRIALS [MAX_DELAY_US]
//     Issue 16: fork children are SIGKILLed 0..MAX_DELAY_US (default 10000) after fork(), while
//     their atfork handler copies the parent's entries into their own perf map; no child map may
//     end in a torn line. Prints "trials T torn X complete C partial P empty E". complete: the
//     child's map has all STUBS lines; empty: killed before the copy was renamed into place;
//     partial: whole lines but fewer (a bug: the copy is atomic); torn: a line that does not parse.
//
//   fork-probe entry
//     Issue 14: with profiling off, the process announces one entry of another code generator
//     (perftrampoline_write_entry), forks, and the child announces another. Prints
//     "pid P" and "child pid C"; the child's entry must be in /tmp/perf-C.map only.
//
// Exits 0 (the test judges), or 2 on a setup problem.
#include <perftrampoline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// 1: every line is "HEX HEX NAME\n"; sets *lines. 0: a torn or malformed line.
static int check_map(const char *path, long *lines) {
    FILE *file = fopen(path, "r");
    *lines = 0;
    if (!file) return 1;  // no map at all: nothing torn
    char line[8192];
    int ok = 1;
    while (fgets(line, sizeof line, file)) {
        size_t length = strlen(line);
        char *end;
        if (length == 0 || line[length - 1] != '\n') { ok = 0; break; }
        strtoull(line, &end, 16);
        if (end == line || *end != ' ') { ok = 0; break; }
        char *size = end + 1;
        strtoull(size, &end, 16);
        if (end == size || *end != ' ' || end[1] == '\n') { ok = 0; break; }
        (*lines)++;
    }
    fclose(file);
    return ok;
}

static int entry_then_fork(void) {
    static const unsigned char parent_code[16], child_code[16];
    if (perftrampoline_write_entry(parent_code, sizeof parent_code, "jit::parent_entry") != PERFTRAMPOLINE_OK) {
        fprintf(stderr, "fork-probe: %s\n", perftrampoline_last_error());
        return 2;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
        int status = perftrampoline_write_entry(child_code, sizeof child_code, "jit::child_entry");
        _exit(status == PERFTRAMPOLINE_OK ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("child pid %d\n", (int)child);
    printf("pid %d\n", (int)getpid());
    return 0;
}

static int kill_while_copying(int argc, const char **argv);

int main(int argc, const char **argv) {
    if (argc >= 2 && strcmp(argv[1], "entry") == 0) return entry_then_fork();
    if (argc >= 4 && strcmp(argv[1], "kill") == 0) return kill_while_copying(argc - 1, argv + 1);
    fprintf(stderr, "usage: fork-probe kill STUBS TRIALS [MAX_DELAY_US] | fork-probe entry\n");
    return 2;
}

static int kill_while_copying(int argc, const char **argv) {
    long stubs = strtol(argv[1], NULL, 10), trials = strtol(argv[2], NULL, 10);
    int max_delay = argc > 3 ? atoi(argv[3]) : 10000;
    if (max_delay < 1) max_delay = 1;
    const char *mode[] = {argv[0], "-Xperf"};
    if (perftrampoline_configure(2, mode) != PERFTRAMPOLINE_MODE_PERF_MAP) {
        fprintf(stderr, "fork-probe: profiling did not start\n");
        return 2;
    }
    perftrampoline_slot *slots = calloc((size_t)stubs, sizeof *slots);
    for (long i = 0; i < stubs; i++) {
        char name[64];
        snprintf(name, sizeof name, "probe::f%ld:fork_kill.c", i);
        if (!perftrampoline_make_stub(&slots[i], name)) {
            fprintf(stderr, "fork-probe: stub %ld: %s\n", i, perftrampoline_last_error());
            return 2;
        }
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    long torn = 0, complete = 0, partial = 0, empty = 0;
    for (long t = 0; t < trials; t++) {
        fflush(stdout);
        pid_t child = fork();
        if (child < 0) return 2;
        if (child == 0) {
            for (;;) pause();  // the copy already ran in the atfork child handler
        }
        usleep((useconds_t)(rand() % max_delay));
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        char path[64], temporary[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)child);
        snprintf(temporary, sizeof temporary, "/tmp/.perf-%d.map.partial", (int)child);
        long lines = 0;
        if (!check_map(path, &lines)) torn++;
        else if (lines == stubs) complete++;
        else if (lines == 0) empty++;
        else partial++;
        unlink(path);
        unlink(temporary);
    }
    printf("trials %ld torn %ld complete %ld partial %ld empty %ld\n", trials, torn, complete, partial, empty);
    printf("pid %d\n", (int)getpid());
    return 0;
}
