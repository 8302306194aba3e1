// SPDX-License-Identifier: Apache-2.0
// Load generator for the echo servers, one thread on epoll. Every mode checks every
// byte it gets back and prints one line of key=value pairs:
//
//   rt=.. rt_per_s=.. p50_us=.. p99_us=.. p999_us=.. client_cpu_s=.. server_cpu_s=.. server_cpu_us_per_rt=.. other_cpu_s=.. ...
//
// "rt" is the mode's unit of work: a round trip (tcp), a whole connection (churn), an
// echoed datagram (udp). Counters restart after the warm-up (-w) and run for -d seconds.
// server_cpu_* is present with -P PID: utime+stime of that process, read from
// /proc/PID/stat at the start and end of the measured window. other_cpu_s is the CPU
// time every other process used meanwhile: noise from neighbours.
//
// -m tcp (default), active: N connections (-c); each sends S bytes (-s), waits for the
// whole echo, checks every byte, and sends again. Exits 1 on any mismatch, early close or
// socket error. -U PATH connects to a Unix domain stream socket instead of -h/-p.
//
// -m tcp -i K, idle: opens K connections, sends one byte on each and waits for its echo
// (so the server has really accepted and registered it), prints "idle_connected=K", then
// holds them until SIGTERM or -d seconds pass. Idle sockets linger 0, so ending the process
// resets them instead of leaving K sockets in TIME_WAIT. -B ADDR binds every client socket
// to a source address, starting at ADDR and moving to the next address every -A
// connections (default 1000), so tens of thousands of connections to one port don't run
// out of ports.
//
// -m churn: N clients (-c) each loop: connect, send S bytes, read the whole echo, check
// it, close. Client sockets close first, so the TIME_WAIT sockets are the client's: with
// -B ADDR -R K each new connection binds the next of the K source addresses ADDR, ADDR+1,
// ... in turn, so TIME_WAIT does not exhaust the ports of one address. rt counts whole
// connections; the latencies are connect() to the last echoed byte.
//
// -m udp: N clients (-c), each a connected UDP socket, keep a window of W datagrams (-W)
// in flight. Each datagram carries a header (client, slot, sequence number) and S bytes
// in all; every echo is compared byte for byte with what was sent. A datagram not echoed
// within -T milliseconds (default 200) counts as lost and its slot sends a new one; an
// echo that arrives after that counts as late (and is checked too). A duplicate, a
// truncated or a corrupt echo exits 1, as does ECONNREFUSED (no server on the port).
// Batches go out with sendmmsg and come in with recvmmsg. Adds lost= late= sent=
// send_errors= (counted over the measured window: datagrams sent in it).
//
// -t FILE (tcp round trips): also writes every measured round trip to FILE, one line each,
// "start_us latency_us connection", start counted from the window's start: which
// connections and which moments the slow round trips belong to (bench/tail reads it).
// Room for a million round trips a second of -d is allocated and touched before the run,
// so that tracing takes no page fault or realloc in the measured window; a run that
// completes more than that exits 1 rather than keep a partial trace.
//
// -e N: events per epoll_wait (1 to 512, the default). A level-triggered wait that takes
// every ready connection serves them unevenly (issue #21): with fewer connections than
// that, the load generator's own waits do, whatever the server does (bench/RESULTS.md,
// "Tail latency"); fewer events than connections make its waits round robin.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { MAX_EVENTS = 512, CONNECTS_IN_FLIGHT = 256, PATTERN_SHIFTS = 251 };
static int max_events = MAX_EVENTS; // -e

// Log-linear latency histogram in nanoseconds: values below 64 exactly, then
// 64 buckets per power of two (under 1.6% error). Fixed size: no allocation per sample.
enum { SUB_BITS = 6, SUB_COUNT = 1 << SUB_BITS, MAX_EXPONENT = 44 };
enum { BUCKETS = SUB_COUNT + (MAX_EXPONENT - SUB_BITS + 1) * SUB_COUNT };
static uint64_t histogram[BUCKETS];
static uint64_t histogram_count;

static int bucket_of(uint64_t ns) {
    if (ns < SUB_COUNT) return (int)ns;
    int exponent = 63 - __builtin_clzll(ns);
    if (exponent > MAX_EXPONENT) return BUCKETS - 1;
    int shift = exponent - SUB_BITS;
    return SUB_COUNT + shift * SUB_COUNT + (int)((ns >> shift) - SUB_COUNT);
}

// Midpoint of a bucket, in nanoseconds.
static double bucket_value(int bucket) {
    if (bucket < SUB_COUNT) return bucket;
    int shift = (bucket - SUB_COUNT) / SUB_COUNT;
    uint64_t low = (uint64_t)(SUB_COUNT + (bucket - SUB_COUNT) % SUB_COUNT) << shift;
    return (double)low + (double)((1ull << shift) - 1) / 2.0;
}

static double percentile_us(double fraction) {
    if (histogram_count == 0) return 0;
    uint64_t rank = (uint64_t)(fraction * (double)histogram_count);
    if (rank >= histogram_count) rank = histogram_count - 1;
    uint64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += histogram[b];
        if (seen > rank) return bucket_value(b) / 1000.0;
    }
    return bucket_value(BUCKETS - 1) / 1000.0;
}

enum state { CONNECTING, SENDING, RECEIVING, IDLE };

struct conn {
    int fd;
    enum state state;
    uint32_t events; // interest registered with epoll
    uint32_t shift;  // which slice of the pattern this round trip carries
    size_t sent;
    size_t received;
    uint64_t started_ns;
};

static struct conn *conns;
static int conn_count;
static int epfd;
static size_t message_size = 64;
static unsigned char *pattern; // message_size + PATTERN_SHIFTS pseudo-random bytes
static unsigned char *scratch;
static size_t scratch_size;
static uint64_t completed;
static volatile sig_atomic_t stop_requested;

// The server: an IPv4 address and port, or a Unix socket path (-U).
static struct sockaddr_storage target;
static socklen_t target_len;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what) {
    perror(what);
    exit(1);
}

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void set_interest(struct conn *c, uint32_t events) {
    if (c->events == events) return;
    struct epoll_event ev = {.events = events, .data.u32 = (uint32_t)(c - conns)};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail("epoll_ctl(MOD)");
    c->events = events;
}

// Reads utime+stime of a process, in seconds; -1 if it can't be read.
static double process_cpu_seconds(int pid) {
    char path[64], line[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = 0;
    // The command name (field 2) may contain spaces: fields are counted after its closing ')'.
    char *p = strrchr(line, ')');
    if (p == NULL) return -1;
    unsigned long long utime, stime;
    // After ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

// CPU time of every other process, to tell how busy the neighbours were. Summed per
// process from /proc/PID/stat, which is exact, rather than taken from /proc/stat, whose
// tick sampling under- or over-counts a ping-pong load by half a CPU.
struct process_ticks {
    int pid;
    unsigned long long ticks; // utime+stime, plus cutime+cstime: children that exited and were reaped
};

static struct process_ticks *neighbours_start, *neighbours_end;
static size_t neighbours_start_count, neighbours_end_count;
enum { MAX_PROCESSES = 1 << 16 };

static int by_pid(const void *a, const void *b) {
    return ((const struct process_ticks *)a)->pid - ((const struct process_ticks *)b)->pid;
}

static size_t scan_neighbours(struct process_ticks *out, int server_pid) {
    DIR *proc = opendir("/proc");
    if (proc == NULL) return 0;
    size_t count = 0;
    int self = getpid();
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL && count < MAX_PROCESSES) {
        int pid = atoi(entry->d_name);
        if (pid <= 0 || pid == self || pid == server_pid) continue;
        char path[64], line[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue; // exited meanwhile
        size_t n = fread(line, 1, sizeof line - 1, f);
        fclose(f);
        line[n] = 0;
        char *p = strrchr(line, ')');
        unsigned long long utime, stime;
        long long cutime, cstime;
        if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &utime,
                                &stime, &cutime, &cstime) != 4)
            continue;
        out[count].pid = pid;
        out[count].ticks = utime + stime + (unsigned long long)(cutime + cstime);
        count++;
    }
    closedir(proc);
    qsort(out, count, sizeof *out, by_pid);
    return count;
}

// CPU seconds the other processes used between the two scans. A process born meanwhile
// counts whole; one that exited counts through its parent's cutime/cstime once reaped.
static double neighbour_cpu_seconds(void) {
    unsigned long long ticks = 0;
    for (size_t i = 0; i < neighbours_end_count; i++) {
        struct process_ticks *before = bsearch(&neighbours_end[i], neighbours_start, neighbours_start_count,
                                               sizeof *neighbours_start, by_pid);
        unsigned long long was = before != NULL ? before->ticks : 0;
        if (neighbours_end[i].ticks > was) ticks += neighbours_end[i].ticks - was;
    }
    return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static double own_cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void fill_pattern(void) {
    pattern = malloc(message_size + PATTERN_SHIFTS);
    if (pattern == NULL) fail("malloc");
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < message_size + PATTERN_SHIFTS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pattern[i] = (unsigned char)x;
    }
}
// ---------------------------------------------------------------- the measured window

static int server_pid;
static double server_cpu_start, client_cpu_start;
static uint64_t measure_from, measure_end;
static int measuring;

static void set_window(double warmup, double duration) {
    uint64_t start = now_ns();
    measure_from = start + (uint64_t)(warmup * 1e9);
    measure_end = measure_from + (uint64_t)(duration * 1e9);
    neighbours_start = calloc(MAX_PROCESSES, sizeof *neighbours_start);
    neighbours_end = calloc(MAX_PROCESSES, sizeof *neighbours_end);
    if (neighbours_start == NULL || neighbours_end == NULL) fail("calloc");
}

// Starts the window once the warm-up is over; returns the epoll_wait timeout in ms
// (at most cap_ms), or -1 once the run is over.
static int window_tick(int cap_ms) {
    uint64_t now = now_ns();
    if (!measuring && now >= measure_from) {
        measuring = 1;
        server_cpu_start = server_pid > 0 ? process_cpu_seconds(server_pid) : 0;
        client_cpu_start = own_cpu_seconds();
        neighbours_start_count = scan_neighbours(neighbours_start, server_pid);
    }
    if (now >= measure_end || stop_requested) return -1;
    uint64_t next = measuring ? measure_end : measure_from;
    int timeout_ms = (int)((next - now) / 1000000) + 1;
    return cap_ms >= 0 && timeout_ms > cap_ms ? cap_ms : timeout_ms;
}

// Prints the common keys (no newline); returns the window's length in seconds.
static double print_window(void) {
    double elapsed = (double)(now_ns() - measure_from) / 1e9;
    double client_cpu = own_cpu_seconds() - client_cpu_start;
    neighbours_end_count = scan_neighbours(neighbours_end, server_pid);
    printf("rt=%llu rt_per_s=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f client_cpu_s=%.3f",
           (unsigned long long)completed, completed / elapsed, percentile_us(0.50), percentile_us(0.99),
           percentile_us(0.999), client_cpu);
    if (server_pid > 0) {
        double server_cpu = process_cpu_seconds(server_pid) - server_cpu_start;
        // A reaped child counts whole, however long it ran before the window: never report
        // more than the CPUs could have run.
        double other = neighbour_cpu_seconds();
        double room = (double)sysconf(_SC_NPROCESSORS_ONLN) * elapsed - server_cpu - client_cpu;
        if (other > room) other = room > 0 ? room : 0;
        printf(" server_cpu_s=%.3f server_cpu_us_per_rt=%.3f other_cpu_s=%.3f", server_cpu,
               completed > 0 ? server_cpu * 1e6 / (double)completed : 0.0, other);
    }
    return elapsed;
}

enum { TRACE_PER_SECOND = 1000 * 1000 }; // -t's room: round trips per second of -d
struct trace_entry {
    uint64_t start_ns; // from measure_from
    uint64_t latency_ns;
    uint32_t connection;
};
static struct trace_entry *trace;
static size_t trace_count, trace_capacity;

static void record_latency(uint64_t started_ns, uint64_t end_ns) {
    if (started_ns < measure_from) return;
    histogram[bucket_of(end_ns - started_ns)]++;
    histogram_count++;
    completed++;
}

// record_latency for a tcp round trip of connection c, traced with -t.
static void record_round_trip(const struct conn *c, uint64_t end_ns) {
    if (c->started_ns < measure_from) return;
    record_latency(c->started_ns, end_ns);
    if (trace_capacity == 0) return;
    if (trace_count == trace_capacity) {
        fprintf(stderr, "-t: more than %zu round trips in the window, the most the trace holds\n", trace_capacity);
        exit(1);
    }
    trace[trace_count++] = (struct trace_entry){c->started_ns - measure_from, end_ns - c->started_ns,
                                                (uint32_t)(c - conns)};
}

// Writes the trace to out, opened before the run so that a bad path fails at once.
static void write_trace(FILE *out) {
    for (size_t i = 0; i < trace_count; i++)
        fprintf(out, "%.1f %.1f %u\n", trace[i].start_ns / 1e3, trace[i].latency_ns / 1e3, trace[i].connection);
    if (ferror(out) || fclose(out) != 0) fail("writing the -t trace");
}

// ---------------------------------------------------------------- tcp: round trips

static void start_round_trip(struct conn *c) {
    c->shift = (c->shift + 1) % PATTERN_SHIFTS;
    c->sent = 0;
    c->received = 0;
    c->state = SENDING;
    c->started_ns = now_ns();
}

// Sends what the kernel takes; returns once the message is out or the socket is full.
static void send_some(struct conn *c) {
    while (c->sent < message_size) {
        ssize_t n = write(c->fd, pattern + c->shift + c->sent, message_size - c->sent);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                set_interest(c, EPOLLOUT);
                return;
            }
            fail("write");
        }
        c->sent += (size_t)n;
    }
    c->state = RECEIVING;
    set_interest(c, EPOLLIN);
}

static void mismatch(struct conn *c, size_t at, unsigned got, unsigned want) {
    fprintf(stderr, "MISMATCH connection %d byte %zu of %zu: got 0x%02x, sent 0x%02x\n", (int)(c - conns), at,
            message_size, got, want);
    exit(1);
}

// Reads what arrived of c's echo and checks it; returns 1 once the whole echo is in.
static int receive_echo(struct conn *c) {
    size_t want = message_size - c->received;
    ssize_t n = read(c->fd, scratch, want < scratch_size ? want : scratch_size);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return 0;
        fail("read");
    }
    if (n == 0) {
        fprintf(stderr, "server closed connection %d after %zu of %zu echoed bytes\n", (int)(c - conns),
                c->received, message_size);
        exit(1);
    }
    const unsigned char *expected = pattern + c->shift + c->received;
    if (memcmp(scratch, expected, (size_t)n) != 0) {
        for (ssize_t i = 0; i < n; i++)
            if (scratch[i] != expected[i]) mismatch(c, c->received + (size_t)i, scratch[i], expected[i]);
    }
    c->received += (size_t)n;
    return c->received == message_size;
}

// A non-blocking stream socket connecting to the target; bound to source first, if given.
static int make_socket(const struct sockaddr_in *source, int idle) {
    int family = target.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    int one = 1;
    if (family == AF_INET) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (idle) {
        struct linger no_linger = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
    }
    if (source != NULL) {
        // Pick the port at connect time, by the full 4-tuple, not at bind time.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)source, sizeof *source) < 0) fail("bind source address");
    }
    if (connect(fd, (const struct sockaddr *)&target, target_len) < 0 && errno != EINPROGRESS) {
        if (family == AF_UNIX && errno == EAGAIN) {
            fprintf(stderr, "connect: the server's Unix socket backlog is full\n");
            exit(1);
        }
        fail("connect");
    }
    return fd;
}

// The result of a non-blocking connect; exits on an error.
static void check_connected(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        errno = err;
        fail("connect");
    }
}

static struct in_addr parse_source(const char *source_base) {
    struct in_addr base = {0};
    if (source_base != NULL && inet_pton(AF_INET, source_base, &base) != 1) {
        fprintf(stderr, "-B must be an IPv4 address, got '%s'\n", source_base);
        exit(2);
    }
    return base;
}

// Opens every connection, at most CONNECTS_IN_FLIGHT unfinished at once so the
// server's listen backlog never overflows, and (idle mode) pings each once.
static void connect_all(const char *source_base, int per_source, int idle) {
    struct in_addr base = parse_source(source_base);
    int opened = 0, ready = 0, in_flight = 0;
    struct epoll_event events[MAX_EVENTS];
    unsigned char ping = 0x5a;
    while (ready < conn_count) {
        while (opened < conn_count && in_flight < CONNECTS_IN_FLIGHT) {
            struct conn *c = &conns[opened];
            struct sockaddr_in source = {.sin_family = AF_INET};
            if (source_base != NULL) source.sin_addr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)(opened / per_source));
            c->fd = make_socket(source_base != NULL ? &source : NULL, idle);
            c->state = CONNECTING;
            c->events = EPOLLOUT;
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)opened};
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl(ADD)");
            opened++;
            in_flight++;
        }
        int n = epoll_wait(epfd, events, max_events, 10000);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fprintf(stderr, "connecting stalled: %d of %d ready\n", ready, conn_count);
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->state == CONNECTING) {
                check_connected(c->fd);
                if (!idle) {
                    c->state = RECEIVING; // parked until the load starts
                    set_interest(c, 0);
                    in_flight--;
                    ready++;
                    continue;
                }
                if (write(c->fd, &ping, 1) != 1) fail("write ping");
                c->state = RECEIVING;
                set_interest(c, EPOLLIN);
            } else {
                unsigned char echo;
                ssize_t got = read(c->fd, &echo, 1);
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (got != 1 || echo != ping) {
                    fprintf(stderr, "idle connection %d: bad ping echo\n", (int)(c - conns));
                    exit(1);
                }
                c->state = IDLE;
                set_interest(c, 0);
                in_flight--;
                ready++;
            }
        }
    }
}

static void run_round_trips(void) {
    for (int i = 0; i < conn_count; i++) {
        start_round_trip(&conns[i]);
        send_some(&conns[i]);
    }
    struct epoll_event events[MAX_EVENTS];
    int timeout_ms;
    while ((timeout_ms = window_tick(-1)) >= 0) {
        int n = epoll_wait(epfd, events, max_events, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->state == SENDING) {
                send_some(c);
            } else if (receive_echo(c)) {
                record_round_trip(c, now_ns());
                start_round_trip(c);
                send_some(c);
            }
        }
    }
}

// ---------------------------------------------------------------- churn: a connection per message

static struct in_addr churn_base;
static int churn_sources = 1, churn_bind;
static uint32_t churn_next_source;

static void churn_open(struct conn *c) {
    struct sockaddr_in source = {.sin_family = AF_INET};
    if (churn_bind) {
        source.sin_addr.s_addr = htonl(ntohl(churn_base.s_addr) + churn_next_source);
        churn_next_source = (churn_next_source + 1) % (uint32_t)churn_sources;
    }
    c->shift = (c->shift + 1) % PATTERN_SHIFTS;
    c->sent = 0;
    c->received = 0;
    c->started_ns = now_ns();
    c->fd = make_socket(churn_bind ? &source : NULL, 0);
    c->state = CONNECTING;
    c->events = EPOLLOUT;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)(c - conns)};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl(ADD)");
}

static void run_churn(void) {
    for (int i = 0; i < conn_count; i++) churn_open(&conns[i]);
    struct epoll_event events[MAX_EVENTS];
    int timeout_ms;
    while ((timeout_ms = window_tick(-1)) >= 0) {
        int n = epoll_wait(epfd, events, max_events, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->state == CONNECTING) {
                check_connected(c->fd);
                c->state = SENDING;
                send_some(c);
            } else if (c->state == SENDING) {
                send_some(c);
            } else if (receive_echo(c)) {
                record_latency(c->started_ns, now_ns());
                close(c->fd); // also leaves the epoll set
                churn_open(c);
            }
        }
    }
}

// ---------------------------------------------------------------- udp: datagrams with a window

enum { UDP_MAGIC = 0x45434845, UDP_HEADER = 24, UDP_SCAN_MS = 10 };

struct udp_header {
    uint32_t magic;
    uint32_t client;
    uint32_t slot;
    uint32_t zero;
    uint64_t seq;
};

struct udp_slot {
    uint64_t seq;     // of the datagram this slot sent last
    uint64_t sent_ns;
    int outstanding;  // sent, not yet echoed nor given up
    unsigned char *datagram;
};

struct udp_client {
    int fd;
    uint64_t next_seq;
    struct udp_slot *slots;
};

static struct udp_client *udp_clients;
static int udp_window = 2, udp_timeout_ms = 200;
static uint64_t udp_lost, udp_late, udp_sent, udp_send_errors;
static unsigned char *udp_receive_buffers; // window x (message_size + 1)
static struct mmsghdr *udp_msgs;
static struct iovec *udp_iovs;

// The bytes of datagram seq of (client, slot): the header, then a slice of the pattern.
static void udp_fill(unsigned char *out, uint32_t client, uint32_t slot, uint64_t seq) {
    struct udp_header h = {.magic = UDP_MAGIC, .client = client, .slot = slot, .seq = seq};
    memcpy(out, &h, UDP_HEADER);
    memcpy(out + UDP_HEADER, pattern + seq % PATTERN_SHIFTS + UDP_HEADER, message_size - UDP_HEADER);
}

// Sends a new datagram from each of the count slots listed, in one sendmmsg where it can.
static void udp_send(int client, const int *slots, int count) {
    struct udp_client *uc = &udp_clients[client];
    uint64_t now = now_ns();
    for (int i = 0; i < count; i++) {
        struct udp_slot *s = &uc->slots[slots[i]];
        s->seq = uc->next_seq++;
        s->sent_ns = now;
        s->outstanding = 1;
        udp_fill(s->datagram, (uint32_t)client, (uint32_t)slots[i], s->seq);
        udp_iovs[i] = (struct iovec){.iov_base = s->datagram, .iov_len = message_size};
        udp_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &udp_iovs[i], .msg_iovlen = 1};
        if (now >= measure_from) udp_sent++;
    }
    for (int done = 0; done < count;) {
        int k = sendmmsg(uc->fd, udp_msgs + done, (unsigned)(count - done), 0);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNREFUSED) {
                fprintf(stderr, "udp client %d: ECONNREFUSED: no server on that port\n", client);
                exit(1);
            }
            if (errno != EAGAIN && errno != ENOBUFS) fail("sendmmsg");
            // Not sent: these slots stay outstanding and time out, counted as lost.
            if (now >= measure_from) udp_send_errors += (uint64_t)(count - done);
            break;
        }
        done += k;
    }
}

static void udp_corrupt(int client, const char *what, uint64_t a, uint64_t b) {
    fprintf(stderr, "udp client %d: %s (%llu, %llu)\n", client, what, (unsigned long long)a, (unsigned long long)b);
    exit(1);
}

// Compares an echo with the datagram expected; exits at the first wrong byte.
static void udp_check(int client, const unsigned char *got, const unsigned char *want) {
    if (memcmp(got, want, message_size) == 0) return;
    for (size_t i = 0; i < message_size; i++)
        if (got[i] != want[i])
            udp_corrupt(client, "MISMATCH in an echoed datagram: byte, got", i, got[i]);
}

static void udp_receive(int client) {
    struct udp_client *uc = &udp_clients[client];
    int window = udp_window;
    int freed[window];
    for (;;) {
        for (int i = 0; i < window; i++) {
            udp_iovs[i] = (struct iovec){.iov_base = udp_receive_buffers + (size_t)i * (message_size + 1),
                                         .iov_len = message_size + 1};
            udp_msgs[i].msg_hdr = (struct msghdr){.msg_iov = &udp_iovs[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(uc->fd, udp_msgs, (unsigned)window, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            if (errno == ECONNREFUSED) {
                fprintf(stderr, "udp client %d: ECONNREFUSED: no server on that port\n", client);
                exit(1);
            }
            fail("recvmmsg");
        }
        uint64_t now = now_ns();
        int count = 0;
        for (int i = 0; i < n; i++) {
            const unsigned char *got = udp_iovs[i].iov_base;
            if (udp_msgs[i].msg_len != message_size || (udp_msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
                udp_corrupt(client, "echo of the wrong length: got, sent", udp_msgs[i].msg_len, message_size);
            struct udp_header h;
            memcpy(&h, got, UDP_HEADER);
            if (h.magic != UDP_MAGIC || h.client != (uint32_t)client || h.slot >= (uint32_t)window || h.zero != 0)
                udp_corrupt(client, "corrupt header: client, slot", h.client, h.slot);
            struct udp_slot *s = &uc->slots[h.slot];
            if (h.seq == s->seq && s->outstanding) {
                udp_check(client, got, s->datagram);
                record_latency(s->sent_ns, now);
                s->outstanding = 0;
                freed[count++] = (int)h.slot;
            } else if (h.seq < s->seq) {
                // Given up on as lost, then echoed after all: checked, and counted as late.
                unsigned char want[message_size];
                udp_fill(want, (uint32_t)client, h.slot, h.seq);
                udp_check(client, got, want);
                if (now >= measure_from) udp_late++;
            } else if (h.seq == s->seq) {
                udp_corrupt(client, "duplicate echo: slot, seq", h.slot, h.seq);
            } else {
                udp_corrupt(client, "echo of a datagram never sent: slot, seq", h.slot, h.seq);
            }
        }
        if (count > 0) udp_send(client, freed, count);
        if (n < window) return;
    }
}

// Gives up on datagrams older than the timeout: each counts as lost and its slot sends anew.
static void udp_expire(void) {
    uint64_t now = now_ns(), limit = (uint64_t)udp_timeout_ms * 1000000ull;
    int expired[udp_window];
    for (int c = 0; c < conn_count; c++) {
        int count = 0;
        for (int i = 0; i < udp_window; i++) {
            struct udp_slot *s = &udp_clients[c].slots[i];
            if (s->outstanding && now - s->sent_ns > limit) {
                if (s->sent_ns >= measure_from) udp_lost++;
                s->outstanding = 0;
                expired[count++] = i;
            }
        }
        if (count > 0) udp_send(c, expired, count);
    }
}

static void run_udp(void) {
    udp_clients = calloc((size_t)conn_count, sizeof *udp_clients);
    udp_receive_buffers = malloc((size_t)udp_window * (message_size + 1));
    udp_msgs = calloc((size_t)udp_window, sizeof *udp_msgs);
    udp_iovs = calloc((size_t)udp_window, sizeof *udp_iovs);
    if (udp_clients == NULL || udp_receive_buffers == NULL || udp_msgs == NULL || udp_iovs == NULL) fail("calloc");
    for (int c = 0; c < conn_count; c++) {
        struct udp_client *uc = &udp_clients[c];
        uc->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (uc->fd < 0) fail("socket(udp)");
        if (connect(uc->fd, (const struct sockaddr *)&target, target_len) < 0) fail("connect(udp)");
        uc->slots = calloc((size_t)udp_window, sizeof *uc->slots);
        if (uc->slots == NULL) fail("calloc");
        for (int i = 0; i < udp_window; i++) {
            uc->slots[i].datagram = malloc(message_size);
            if (uc->slots[i].datagram == NULL) fail("malloc");
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, uc->fd, &ev) < 0) fail("epoll_ctl(ADD)");
    }
    int all[udp_window];
    for (int i = 0; i < udp_window; i++) all[i] = i;
    for (int c = 0; c < conn_count; c++) udp_send(c, all, udp_window);
    struct epoll_event events[MAX_EVENTS];
    uint64_t next_scan = now_ns() + UDP_SCAN_MS * 1000000ull;
    int timeout_ms;
    while ((timeout_ms = window_tick(UDP_SCAN_MS)) >= 0) {
        int n = epoll_wait(epfd, events, max_events, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) udp_receive((int)events[i].data.u32);
        uint64_t now = now_ns();
        if (now >= next_scan) {
            udp_expire();
            next_scan = now + UDP_SCAN_MS * 1000000ull;
        }
    }
}

// ---------------------------------------------------------------- main

static void usage(const char *self) {
    fprintf(stderr,
            "usage: %s (-h HOST -p PORT | -U UNIX_PATH) [-m tcp|churn|udp] [-c CONNECTIONS] [-s MESSAGE_BYTES]\n"
            "          [-d SECONDS] [-w WARMUP_SECONDS] [-P SERVER_PID] [-e EVENTS_PER_WAIT]\n"
            "          tcp:   [-B FIRST_SOURCE_ADDR [-A CONNECTIONS_PER_ADDR]] [-i IDLE_CONNECTIONS] [-t TRACE_FILE]\n"
            "          churn: [-B FIRST_SOURCE_ADDR [-R SOURCE_ADDRS]]\n"
            "          udp:   [-W WINDOW] [-T LOSS_TIMEOUT_MS]\n",
            self);
    exit(2);
}

// The value of option -opt as a whole number in int's range, or exit 2.
static int whole(const char *text, int opt) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (!(isdigit((unsigned char)text[0]) || (text[0] == '-' && isdigit((unsigned char)text[1]))) || *end != '\0' || errno != 0 || value < INT_MIN || value > INT_MAX) {
        fprintf(stderr, "-%c takes a whole number, not '%s'\n", opt, text);
        exit(2);
    }
    return (int)value;
}

// The value of option -opt as a number of seconds, or exit 2.
static double seconds(const char *text, int opt) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (!(isdigit((unsigned char)text[0]) || text[0] == '.') || end == text || *end != '\0' || errno != 0) {
        fprintf(stderr, "-%c takes a number of seconds, not '%s'\n", opt, text);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *source_base = NULL, *mode = "tcp", *unix_path = NULL, *trace_path = NULL;
    int port = -1, connections = 1, per_source = 1000, idle_connections = 0;
    double duration = 5, warmup = 1;
    int opt;
    while ((opt = getopt(argc, argv, "h:p:c:s:d:w:P:B:A:i:m:U:R:W:T:t:e:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = whole(optarg, 'p'); break;
        case 'c': connections = whole(optarg, 'c'); break;
        case 's': {
            int size = whole(optarg, 's');
            message_size = size < 1 ? 0 : (size_t)size; // 0: refused below
            break;
        }
        case 'd': duration = seconds(optarg, 'd'); break;
        case 'w': warmup = seconds(optarg, 'w'); break;
        case 'P': server_pid = whole(optarg, 'P'); break;
        case 'B': source_base = optarg; break;
        case 'A': per_source = whole(optarg, 'A'); break;
        case 'i': idle_connections = whole(optarg, 'i'); break;
        case 'm': mode = optarg; break;
        case 'U': unix_path = optarg; break;
        case 'R': churn_sources = whole(optarg, 'R'); break;
        case 'W': udp_window = whole(optarg, 'W'); break;
        case 'T': udp_timeout_ms = whole(optarg, 'T'); break;
        case 't': trace_path = optarg; break;
        case 'e': max_events = whole(optarg, 'e'); break;
        default: usage(argv[0]);
        }
    }
    int tcp = strcmp(mode, "tcp") == 0, churn = strcmp(mode, "churn") == 0, udp = strcmp(mode, "udp") == 0;
    if (!tcp && !churn && !udp) usage(argv[0]);
    if (!(duration > 0 && duration <= 3600) || !(warmup >= 0 && warmup <= 3600)) {
        fprintf(stderr, "-d must be above 0 and -w at least 0, both at most 3600 seconds\n");
        return 2;
    }
    if ((unix_path == NULL && (port <= 0 || port > 65535)) || server_pid < 0 || connections < 1 || message_size < 1 || per_source < 1 ||
        idle_connections < 0 || churn_sources < 1 || udp_window < 1 || udp_window > 1024 || udp_timeout_ms < 1 ||
        max_events < 1 || max_events > MAX_EVENTS)
        usage(argv[0]);
    if (unix_path != NULL && (!tcp || idle_connections > 0 || source_base != NULL)) {
        fprintf(stderr, "-U is for the tcp mode's round trips only\n");
        return 2;
    }
    if (idle_connections > 0 && !tcp) usage(argv[0]);
    if (trace_path != NULL && (!tcp || idle_connections > 0)) {
        fprintf(stderr, "-t traces the tcp mode's round trips only\n");
        return 2;
    }
    if (trace_path != NULL && duration > 60) {
        fprintf(stderr, "-t holds at most 60 s of round trips (-d): %.0f MB a second\n",
                TRACE_PER_SECOND * (double)sizeof(struct trace_entry) / 1e6);
        return 2;
    }
    if (udp && (message_size < UDP_HEADER || message_size > 65507)) {
        fprintf(stderr, "-m udp needs -s from %d to 65507 bytes\n", UDP_HEADER);
        return 2;
    }
    if (unix_path != NULL) {
        struct sockaddr_un *addr = (struct sockaddr_un *)&target;
        if (strlen(unix_path) >= sizeof addr->sun_path) {
            fprintf(stderr, "-U path longer than %zu bytes\n", sizeof addr->sun_path - 1);
            return 2;
        }
        addr->sun_family = AF_UNIX;
        strcpy(addr->sun_path, unix_path);
        target_len = sizeof *addr;
    } else {
        struct sockaddr_in *addr = (struct sockaddr_in *)&target;
        addr->sin_family = AF_INET;
        addr->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
            fprintf(stderr, "-h must be an IPv4 address, got '%s'\n", host);
            return 2;
        }
        target_len = sizeof *addr;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int idle = idle_connections > 0;
    conn_count = idle ? idle_connections : connections;
    conns = calloc((size_t)conn_count, sizeof *conns);
    if (conns == NULL) fail("calloc");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) fail("epoll_create1");
    if (tcp) connect_all(source_base, per_source, idle);

    if (idle) {
        printf("idle_connected=%d\n", conn_count);
        fflush(stdout);
        uint64_t until = now_ns() + (uint64_t)(duration * 1e9);
        while (!stop_requested && now_ns() < until) usleep(50 * 1000);
        return 0; // exit resets every connection (linger 0)
    }

    fill_pattern();
    scratch_size = message_size < 256 * 1024 ? message_size : 256 * 1024;
    scratch = malloc(scratch_size);
    if (scratch == NULL) fail("malloc");
    FILE *trace_file = NULL;
    if (trace_path != NULL) {
        trace_file = fopen(trace_path, "w");
        if (trace_file == NULL) fail("fopen(-t)");
        trace_capacity = (size_t)(duration * TRACE_PER_SECOND) + 1;
        trace = malloc(trace_capacity * sizeof *trace);
        if (trace == NULL) fail("malloc(-t)");
        // Every page faulted in now, not in the window (not 0: malloc and a zero memset may become calloc).
        memset(trace, 0xff, trace_capacity * sizeof *trace);
    }
    set_window(warmup, duration); // after the trace's memory is touched: the warm-up starts now
    if (tcp) {
        run_round_trips();
    } else if (churn) {
        churn_bind = source_base != NULL;
        churn_base = parse_source(source_base);
        run_churn();
    } else {
        run_udp();
    }
    double elapsed = print_window();
    if (churn) printf(" clients=%d source_addrs=%d", conn_count, churn_bind ? churn_sources : 0);
    if (udp)
        printf(" window=%d lost=%llu late=%llu sent=%llu send_errors=%llu", udp_window, (unsigned long long)udp_lost,
               (unsigned long long)udp_late, (unsigned long long)udp_sent, (unsigned long long)udp_send_errors);
    printf(" connections=%d message_bytes=%zu seconds=%.2f\n", conn_count, message_size, elapsed);
    if (trace_file != NULL) write_trace(trace_file);
    if (completed == 0) fprintf(stderr, "nothing echoed in the measured window (%s mode)\n", mode);
    return completed > 0 ? 0 : 1;
}
