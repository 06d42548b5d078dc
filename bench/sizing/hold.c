// SPDX-License-Identifier: GPL-3.0-or-later
// bench/sizing/hold.c — open N keep-alive HTTP/1.1 connections to 127.0.0.1:PORT, make one request on
// each, then hold them idle for HOLD seconds and make one more request on each that is still open.
// Built and run by bench/sizing/run.sh; one thread, epoll, every phase bounded in time.
//
// Usage: hold PORT N HOLD_SECONDS
// Prints, each line flushed:
//   open: wanted N idle I failed F (connect C, closed K, bad-status B, timeout T) in S s
//   ready                                  (every connection has had its answer; hold starts)
//   hold: S s, closed by the peer during the hold: K
//   recheck: answered A of O in S s (failed F)
// Exits 0 when every connection opened, stayed open and answered twice, 1 otherwise.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum
{
    CONNECTING,
    SENT,
    IDLE,
    DEAD
};
enum
{
    BUF = 1024,
    WINDOW = 512,
    OPEN_LIMIT_S = 120,
    RECHECK_LIMIT_S = 60
};

struct conn
{
    int fd;
    int state;
    int len;
    char buf[BUF];
};

static struct conn *conns;
static int epfd;
static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: fulcrum-sizing-hold\r\n\r\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// 1: a whole response with status 200 is in the buffer; 0: not yet; -1: a bad or unparsable answer.
static int response_done(struct conn *c)
{
    c->buf[c->len < BUF ? c->len : BUF - 1] = 0;
    char *end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL)
        return c->len >= BUF - 1 ? -1 : 0;
    if (strncmp(c->buf, "HTTP/1.1 200", 12) != 0)
        return -1;
    long body = 0;
    for (char *line = strstr(c->buf, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-length:", 15) == 0)
            body = strtol(line + 17, NULL, 10);
    }
    const long want = (long)(end + 4 - c->buf) + body;
    if (want >= BUF)
        return -1;
    return c->len >= want ? 1 : 0;
}

static int send_request(struct conn *c)
{
    c->len = 0;
    const ssize_t n = write(c->fd, request, sizeof(request) - 1);
    if (n != (ssize_t)(sizeof(request) - 1))
        return -1;
    c->state = SENT;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void kill_conn(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = DEAD;
}

// Reads what is there; returns 1 when a response completed, -1 when the connection is gone, 0 else.
static int read_some(struct conn *c)
{
    for (;;) {
        const ssize_t n = read(c->fd, c->buf + c->len, (size_t)(BUF - 1 - c->len));
        if (n > 0) {
            c->len += (int)n;
            const int done = response_done(c);
            if (done != 0)
                return done;
            if (c->len >= BUF - 1)
                return -1;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1; // 0: closed by the peer; <0: error
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hold PORT N HOLD_SECONDS\n");
        return 2;
    }
    const int port = atoi(argv[1]), n = atoi(argv[2]), hold = atoi(argv[3]);
    if (port <= 0 || port > 65535 || n <= 0 || n > 1000000 || hold < 0 || hold > 3600) {
        fprintf(stderr, "hold: bad arguments\n");
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 16) {
        fprintf(stderr, "hold: RLIMIT_NOFILE %llu is too low for %d connections\n",
                (unsigned long long)rl.rlim_cur, n);
        return 2;
    }
    conns = calloc((size_t)n, sizeof(*conns));
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || epfd < 0)
        return 2;
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((unsigned short)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct epoll_event events[1024];

    // Phase 1: open and ask once, at most WINDOW connections between connect and answer at a time.
    int next = 0, pending = 0, idle = 0, connect_err = 0, closed = 0, bad = 0;
    const double t0 = now();
    while ((next < n || pending > 0) && now() - t0 < OPEN_LIMIT_S) {
        while (next < n && pending < WINDOW) {
            struct conn *c = &conns[next++];
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c->fd < 0) {
                c->state = DEAD;
                connect_err++;
                continue;
            }
            const int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
                kill_conn(c);
                connect_err++;
                continue;
            }
            c->state = CONNECTING;
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
            epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
            pending++;
        }
        const int k = epoll_wait(epfd, events, 1024, 100);
        for (int i = 0; i < k; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || (events[i].events & (EPOLLERR | EPOLLHUP)) || send_request(c) != 0) {
                    kill_conn(c);
                    connect_err++;
                    pending--;
                }
            } else if (c->state == SENT) {
                const int r = read_some(c);
                if (r == 0)
                    continue;
                pending--;
                if (r == 1) {
                    c->state = IDLE;
                    idle++;
                } else {
                    if (c->len > 0)
                        bad++;
                    else
                        closed++;
                    kill_conn(c);
                }
            } else if (c->state == IDLE) {
                kill_conn(c);
                idle--;
                closed++;
            }
        }
    }
    const int timed_out = pending;
    printf("open: wanted %d idle %d failed %d (connect %d, closed %d, bad-status %d, timeout %d) in %.1f s\n",
           n, idle, n - idle, connect_err, closed, bad, timed_out, now() - t0);
    printf("ready\n");
    fflush(stdout);

    // Phase 2: hold, counting connections the proxy closes.
    int closed_in_hold = 0;
    const double t1 = now();
    while (now() - t1 < hold) {
        const int k = epoll_wait(epfd, events, 1024, 200);
        for (int i = 0; i < k; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state == IDLE) {
                kill_conn(c);
                idle--;
                closed_in_hold++;
            }
        }
    }
    printf("hold: %d s, closed by the peer during the hold: %d\n", hold, closed_in_hold);
    fflush(stdout);

    // Phase 3: one more request on every connection still open.
    int asked = 0, answered = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        if (conns[i].state != IDLE)
            continue;
        asked++;
        if (send_request(&conns[i]) != 0) {
            kill_conn(&conns[i]);
            failed++;
        }
    }
    const double t2 = now();
    while (answered + failed < asked && now() - t2 < RECHECK_LIMIT_S) {
        const int k = epoll_wait(epfd, events, 1024, 100);
        for (int i = 0; i < k; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->state != SENT)
                continue;
            const int r = read_some(c);
            if (r == 1) {
                c->state = IDLE;
                answered++;
            } else if (r < 0) {
                kill_conn(c);
                failed++;
            }
        }
    }
    printf("recheck: answered %d of %d in %.1f s (failed %d)\n", answered, asked, now() - t2, failed);
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    }
    return (idle == n && closed_in_hold == 0 && answered == n) ? 0 : 1;
}
