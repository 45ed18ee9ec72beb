/* run_info.c - the runs of a search as the store records them (see
 * run_info.h).
 *
 * Whether a recorded process still runs: on Linux a process is named by
 * the boot it belongs to (/proc/sys/kernel/random/boot_id), its pid and
 * its start time (field 22 of /proc/PID/stat), so a pid reused after the
 * search died, or a reboot, does not pass for the search.  Elsewhere the
 * pid alone is asked (kill(pid, 0)).  A process on another machine (its
 * host name differs) cannot be asked: the state is reported as recorded. */
#define _GNU_SOURCE
#include "search/run_info.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

const char *const syno_run_state_names[] = {
#define X(e, name) name,
    SYNO_RUN_STATES(X)
#undef X
};

static double clock_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Processor seconds of this process and the children it has waited for
 * (the evaluations, and what they ran). */
static double cpu_now(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double t = 0;
    const struct timeval *tv[] = {&self.ru_utime, &self.ru_stime, &kids.ru_utime, &kids.ru_stime};
    for (size_t i = 0; i < SYNO_ARRAY_LEN(tv); i++) t += (double)tv[i]->tv_sec + 1e-6 * (double)tv[i]->tv_usec;
    return t;
}

/* The first line of the file at PATH into OUT (without its newline);
 * false when it cannot be read. */
static bool first_line(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    if (ok) out[strcspn(out, "\n")] = 0;
    return ok;
}

/* "BOOT PID START" naming process PID on this machine, or false. */
static bool process_name(long pid, char *out, size_t n)
{
    char boot[64], path[64], stat[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!first_line("/proc/sys/kernel/random/boot_id", boot, sizeof boot) || !first_line(path, stat, sizeof stat))
        return false;
    const char *p = strrchr(stat, ')'); /* the command name may hold spaces and parentheses */
    if (!p) return false;
    /* fields 3.. follow; the start time is field 22 */
    for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
    if (!p) return false;
    unsigned long long start = strtoull(p + 1, NULL, 10);
    snprintf(out, n, "%s %ld %llu", boot, pid, start);
    return true;
}

/* What this machine is: system, release, architecture, CPUs, processor. */
static void machine_text(char *out, size_t n)
{
    struct utsname u;
    if (uname(&u) != 0) {
        snprintf(out, n, "?");
        return;
    }
    char model[160] = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (v) snprintf(model, sizeof model, "%s", v + 1 + strspn(v + 1, " \t"));
        model[strcspn(model, "\n")] = 0;
        break;
    }
    if (f) fclose(f);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(out, n, "%s %s %s, %ld CPU%s%s%s", u.sysname, u.release, u.machine, cpus, cpus == 1 ? "" : "s",
             model[0] ? ", " : "", model);
}

static void put_double(syno_store *s, const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    syno_store_set_meta(s, key, buf);
}

/* The number recorded under KEY, or NaN. */
static double get_double(syno_store *s, const char *key)
{
    char *v = syno_store_get_meta(s, key);
    char *end = NULL;
    double d = v ? strtod(v, &end) : NAN;
    if (v && (end == v || *end)) d = NAN;
    free(v);
    return d;
}

/* Records the start of a run (see run_info.h). */
void syno_run_info_start(syno_store *s, syno_run_clock *c)
{
    c->wall0 = clock_of(CLOCK_MONOTONIC);
    c->cpu0 = cpu_now();
    c->wall_base = get_double(s, "wall_seconds");
    c->cpu_base = get_double(s, "cpu_seconds");
    c->cpu_elsewhere = NULL;
    if (!isfinite(c->wall_base) || c->wall_base < 0) c->wall_base = 0;
    if (!isfinite(c->cpu_base) || c->cpu_base < 0) c->cpu_base = 0;
    char buf[512];
    if (gethostname(buf, sizeof buf) != 0) buf[0] = 0;
    buf[sizeof buf - 1] = 0;
    syno_store_set_meta(s, "run_host", buf);
    if (!process_name(getpid(), buf, sizeof buf)) snprintf(buf, sizeof buf, "- %ld -", (long)getpid());
    syno_store_set_meta(s, "run_process", buf);
    machine_text(buf, sizeof buf);
    syno_store_set_meta(s, "machine", buf);
    if (!isfinite(get_double(s, "started"))) put_double(s, "started", clock_of(CLOCK_REALTIME));
    syno_store_set_meta(s, "finished", "");
    syno_run_info_progress(s, c, SYNO_RUN_SEARCHING, 0);
}

/* Records the state and times so far (see run_info.h). */
void syno_run_info_progress(syno_store *s, const syno_run_clock *c, syno_run_state state, int evaluating)
{
    syno_store_set_meta(s, "run_state", syno_run_state_names[state]);
    char buf[32];
    snprintf(buf, sizeof buf, "%d", evaluating);
    syno_store_set_meta(s, "evaluating", buf);
    put_double(s, "wall_seconds", c->wall_base + clock_of(CLOCK_MONOTONIC) - c->wall0);
    put_double(s, "cpu_seconds", c->cpu_base + cpu_now() - c->cpu0 + (c->cpu_elsewhere ? *c->cpu_elsewhere : 0));
}

/* Records the end of the run (see run_info.h). */
void syno_run_info_finish(syno_store *s, const syno_run_clock *c, syno_run_state state)
{
    syno_run_info_progress(s, c, state, 0);
    put_double(s, "finished", clock_of(CLOCK_REALTIME));
}

/* Whether the process named by RECORDED ("BOOT PID START", or "- PID -")
 * still runs on this machine; sets *PID. */
static bool still_runs(const char *recorded, long *pid)
{
    char boot[64] = "", start[32] = "";
    if (sscanf(recorded, "%63s %ld %31s", boot, pid, start) != 3 || *pid <= 0) return false;
    char now[256];
    if (strcmp(boot, "-") != 0 && process_name(*pid, now, sizeof now)) return strcmp(now, recorded) == 0;
    if (strcmp(boot, "-") != 0) {
        char b[64];
        if (first_line("/proc/sys/kernel/random/boot_id", b, sizeof b)) return false; /* /proc works: it is gone */
    }
    return kill((pid_t)*pid, 0) == 0 || errno == EPERM;
}

/* Reads the runs' record (see run_info.h). */
void syno_run_info_load(syno_store *s, syno_run_info *i)
{
    memset(i, 0, sizeof *i);
    char *state = syno_store_get_meta(s, "run_state"), *host = syno_store_get_meta(s, "run_host");
    char *proc = syno_store_get_meta(s, "run_process"), *machine = syno_store_get_meta(s, "machine");
    char *ev = syno_store_get_meta(s, "evaluating");
    i->state = SYNO_RUN_UNKNOWN;
    for (int k = 0; state && k <= SYNO_RUN_STOPPED; k++)
        if (strcmp(state, syno_run_state_names[k]) == 0) i->state = (syno_run_state)k;
    snprintf(i->host, sizeof i->host, "%s", host ? host : "");
    snprintf(i->machine, sizeof i->machine, "%s", machine ? machine : "");
    long n = ev ? strtol(ev, NULL, 10) : 0;
    i->evaluating = n > 0 && n < 1000000 ? (int)n : 0;
    char me[256];
    if (gethostname(me, sizeof me) != 0) me[0] = 0;
    me[sizeof me - 1] = 0;
    i->here = host && strcmp(host, me) == 0;
    i->alive = i->here && proc && still_runs(proc, &i->pid);
    if (!i->here && proc) sscanf(proc, "%*s %ld", &i->pid);
    if ((i->state == SYNO_RUN_SEARCHING || i->state == SYNO_RUN_CONFIRMING) && i->here && !i->alive)
        i->state = SYNO_RUN_STOPPED;
    if (i->state != SYNO_RUN_SEARCHING && i->state != SYNO_RUN_CONFIRMING) i->evaluating = 0;
    i->started = get_double(s, "started");
    i->finished = get_double(s, "finished");
    i->wall = get_double(s, "wall_seconds");
    i->cpu = get_double(s, "cpu_seconds");
    free(state);
    free(host);
    free(proc);
    free(machine);
    free(ev);
}
