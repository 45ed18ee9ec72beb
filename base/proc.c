/* proc.c - a child program with a time limit (see proc.h).
 *
 * The parent reads the child's standard output through a pipe with poll,
 * at most 100 ms at a time, and asks waitpid in between: a program that
 * leaves a background process holding the pipe open still counts as done
 * when it exits.  The child is the leader of its own process group, so the
 * time limit (and the clean-up afterwards) reaches everything it started. */
#define _GNU_SOURCE
#include "base/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* In the child: the standard files, then the program. */
static void child(const char *const argv[], const char *in_path, const char *err_path, int out_fd)
{
    setpgid(0, 0);
    int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
    int e = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out_fd, 1);
    if (in >= 0) dup2(in, 0);
    else close(0);
    if (e >= 0) dup2(e, 2);
    execvp(argv[0], (char *const *)argv); /* execvp does not change them */
    _exit(127);
}

/* Appends what FD has to OUT, keeping the last KEEP bytes.  False at the
 * end of the output. */
static bool drain(int fd, syno_buf *out, size_t keep, syno_proc_result *r)
{
    char buf[4096];
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0) return errno == EINTR;
    if (got == 0) return false;
    syno_buf_add(out, buf, (size_t)got);
    if (out->len > 2 * keep) {
        memmove(out->data, out->data + out->len - keep, keep);
        out->len = keep;
        out->data[out->len] = 0;
        r->truncated = true;
    }
    return true;
}

/* Runs ARGV (see proc.h). */
void syno_proc_run(const char *const argv[], const char *in_path, const char *err_path, double timeout, size_t keep,
                   syno_buf *out, syno_proc_result *r)
{
    memset(r, 0, sizeof *r);
    SYNO_ASSERT(keep > 0 && argv[0]);
    syno_buf_clear(out);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r->error, sizeof r->error, "pipe: %s", strerror(errno));
        r->exit_status = -1;
        return;
    }
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->error, sizeof r->error, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        r->exit_status = -1;
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        child(argv, in_path, err_path, fds[1]);
    }
    setpgid(pid, pid);
    close(fds[1]);
    int status = 0;
    bool done = false, eof = false;
    for (;;) {
        double left = timeout > 0 ? timeout - (now() - t0) : 1e9;
        if (left <= 0) {
            r->timed_out = true;
            break;
        }
        struct pollfd p = {fds[0], POLLIN, 0};
        int ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;
        if (!eof && poll(&p, 1, done ? 0 : ms) > 0) {
            if (drain(fds[0], out, keep, r)) continue;
            eof = true;
        } else if (done) {
            break; /* exited, and nothing more to read now */
        } else if (eof) {
            pause_ms(10);
        }
        if (!done && waitpid(pid, &status, WNOHANG) == pid) done = true;
        if (done && eof) break;
    }
    close(fds[0]);
    if (!done) {
        kill(-pid, SIGTERM);
        for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) != pid; i++) {
            pause_ms(10);
            if (i == 99) {
                kill(-pid, SIGKILL);
                waitpid(pid, &status, 0);
            }
        }
    }
    kill(-pid, SIGKILL); /* whatever it left running in its group */
    if (out->len > keep) { /* the last KEEP bytes only */
        memmove(out->data, out->data + out->len - keep, keep);
        out->len = keep;
        out->data[out->len] = 0;
        r->truncated = true;
    }
    r->seconds = now() - t0;
    r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
}
