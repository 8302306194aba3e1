// Closed-loop load generator for the echo servers, one thread on epoll.
//
// Active mode (default): N connections; each sends S bytes, waits for the
// whole echo, checks every byte, and sends again. After the warm-up the
// counters restart and run for the measured duration. Exits 1 on any
// mismatch, early close or socket error. Prints one line of key=value pairs:
//
//   rt=.. rt_per_s=.. p50_us=.. p99_us=.. p999_us=.. client_cpu_s=.. server_cpu_s=.. server_cpu_us_per_rt=.. other_cpu_s=..
//
// server_cpu_* is present with -P PID: utime+stime of that process, read
// from /proc/PID/stat at the start and end of the measured window.
// other_cpu_s is the CPU time every other process used meanwhile: noise from neighbours.
//
// Idle mode (-i K): opens K connections, sends one byte on each and waits
// for its echo (so the server has really accepted and registered it), prints
// "idle_connected=K", then holds them until SIGTERM or -d seconds pass. Idle
// sockets linger 0, so ending the process resets them instead of leaving
// K sockets in TIME_WAIT.
//
// -B ADDR binds every client socket to a source address, starting at ADDR
// and moving to the next address every -A connections (default 1000), so
// tens of thousands of connections to one port don't run out of ports.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
#include <time.h>
#include <unistd.h>

enum { MAX_EVENTS = 512, CONNECTS_IN_FLIGHT = 256, PATTERN_SHIFTS = 251 };

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

static void receive_some(struct conn *c, uint64_t measure_from_ns) {
    size_t want = message_size - c->received;
    ssize_t n = read(c->fd, scratch, want < scratch_size ? want : scratch_size);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
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
    if (c->received < message_size) return;
    uint64_t end = now_ns();
    if (c->started_ns >= measure_from_ns) {
        histogram[bucket_of(end - c->started_ns)]++;
        histogram_count++;
        completed++;
    }
    start_round_trip(c);
    send_some(c);
}

static int make_socket(const struct sockaddr_in *server, const struct sockaddr_in *source, int idle) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (idle) {
        struct linger no_linger = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
    }
    if (source != NULL) {
        // Pick the port at connect time, by the full 4-tuple, not at bind time.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (const struct sockaddr *)source, sizeof *source) < 0) fail("bind source address");
    }
    if (connect(fd, (const struct sockaddr *)server, sizeof *server) < 0 && errno != EINPROGRESS) fail("connect");
    return fd;
}

// Opens every connection, at most CONNECTS_IN_FLIGHT unfinished at once so the
// server's listen backlog never overflows, and (idle mode) pings each once.
static void connect_all(const struct sockaddr_in *server, const char *source_base, int per_source, int idle) {
    struct in_addr base = {0};
    if (source_base != NULL && inet_pton(AF_INET, source_base, &base) != 1) {
        fprintf(stderr, "-B must be an IPv4 address, got '%s'\n", source_base);
        exit(2);
    }
    int opened = 0, ready = 0, in_flight = 0;
    struct epoll_event events[MAX_EVENTS];
    unsigned char ping = 0x5a;
    while (ready < conn_count) {
        while (opened < conn_count && in_flight < CONNECTS_IN_FLIGHT) {
            struct conn *c = &conns[opened];
            struct sockaddr_in source = {.sin_family = AF_INET};
            if (source_base != NULL) source.sin_addr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)(opened / per_source));
            c->fd = make_socket(server, source_base != NULL ? &source : NULL, idle);
            c->state = CONNECTING;
            c->events = EPOLLOUT;
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)opened};
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl(ADD)");
            opened++;
            in_flight++;
        }
        int n = epoll_wait(epfd, events, MAX_EVENTS, 10000);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fprintf(stderr, "connecting stalled: %d of %d ready\n", ready, conn_count);
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    errno = err;
                    fail("connect");
                }
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

static void usage(const char *self) {
    fprintf(stderr,
            "usage: %s -h HOST -p PORT [-c CONNECTIONS] [-s MESSAGE_BYTES] [-d SECONDS] [-w WARMUP_SECONDS]\n"
            "          [-P SERVER_PID] [-B FIRST_SOURCE_ADDR [-A CONNECTIONS_PER_ADDR]] [-i IDLE_CONNECTIONS]\n",
            self);
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *source_base = NULL;
    int port = -1, connections = 1, server_pid = 0, per_source = 1000, idle_connections = 0;
    double duration = 5, warmup = 1;
    int opt;
    while ((opt = getopt(argc, argv, "h:p:c:s:d:w:P:B:A:i:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': connections = atoi(optarg); break;
        case 's': message_size = (size_t)atol(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'P': server_pid = atoi(optarg); break;
        case 'B': source_base = optarg; break;
        case 'A': per_source = atoi(optarg); break;
        case 'i': idle_connections = atoi(optarg); break;
        default: usage(argv[0]);
        }
    }
    if (port <= 0 || connections < 1 || message_size < 1 || per_source < 1 || idle_connections < 0) usage(argv[0]);
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &server.sin_addr) != 1) {
        fprintf(stderr, "-h must be an IPv4 address, got '%s'\n", host);
        return 2;
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
    connect_all(&server, source_base, per_source, idle);

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

    uint64_t start = now_ns();
    uint64_t measure_from = start + (uint64_t)(warmup * 1e9);
    uint64_t end = measure_from + (uint64_t)(duration * 1e9);
    for (int i = 0; i < conn_count; i++) {
        start_round_trip(&conns[i]);
        send_some(&conns[i]);
    }
    int measuring = 0;
    double server_cpu_start = 0, client_cpu_start = 0;
    neighbours_start = calloc(MAX_PROCESSES, sizeof *neighbours_start);
    neighbours_end = calloc(MAX_PROCESSES, sizeof *neighbours_end);
    if (neighbours_start == NULL || neighbours_end == NULL) fail("calloc");
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        uint64_t now = now_ns();
        if (!measuring && now >= measure_from) {
            measuring = 1;
            server_cpu_start = server_pid > 0 ? process_cpu_seconds(server_pid) : 0;
            client_cpu_start = own_cpu_seconds();
            neighbours_start_count = scan_neighbours(neighbours_start, server_pid);
        }
        if (now >= end || stop_requested) break;
        uint64_t next = measuring ? end : measure_from;
        int timeout_ms = (int)((next - now) / 1000000) + 1;
        int n = epoll_wait(epfd, events, MAX_EVENTS, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = &conns[events[i].data.u32];
            if (c->state == SENDING) send_some(c);
            else receive_some(c, measure_from);
        }
    }
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
    printf(" connections=%d message_bytes=%zu seconds=%.2f\n", conn_count, message_size, elapsed);
    return completed > 0 ? 0 : 1;
}
