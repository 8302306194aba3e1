// SPDX-License-Identifier: Apache-2.0
// Fault injection for the tests (FaultInjectionTest): a library for LD_PRELOAD that wraps
// the system calls of epoll4j's event loops and makes some of them fail, or do less, in the
// ways their man pages allow. The test builds it with the machine's C compiler:
//
//   cc -shared -fPIC -O2 -U_FORTIFY_SOURCE -o libepoll4j-faults.so faults.c -ldl -pthread
//
// and starts the echo server with it in LD_PRELOAD. epoll4j binds libc's functions as a C
// program does (dlsym(RTLD_DEFAULT)), so these definitions come first; each passes the call
// on to libc's (dlsym(RTLD_NEXT)).
//
// LD_PRELOAD reaches the whole JVM (class loading reads files, the JVM's threads write
// logs), so only the calls of threads whose names start with EPOLL4J_FAULTS_THREADS (the
// EventLoopGroup's epoll4j-loop-N) are counted and faulted, and read, write and writev only
// on stream sockets: never on an eventfd (whose non-blocking reads and writes neither sleep
// nor come short), a pipe or a file.
//
// Environment:
//   EPOLL4J_FAULTS           families to inject, comma-separated (none if unset):
//                              stream-io       read, write, writev: EINTR, EAGAIN, a short count
//                              accept-retry    accept4: EAGAIN, EINTR
//                              accept-aborted  accept4: ECONNABORTED, EPROTO, EPERM
//                              accept-network  accept4: the pending network errors that
//                                              accept(2) says to retry like EAGAIN: ENETDOWN,
//                                              ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
//                                              EOPNOTSUPP, ENETUNREACH
//                              epoll-wait      epoll_wait, epoll_pwait, epoll_pwait2: EINTR,
//                                              fewer events (a smaller maxevents)
//                              recvmmsg        EINTR, EAGAIN, fewer messages (a smaller vlen)
//                              sendmmsg        EINTR, EAGAIN, fewer messages (a smaller vlen)
//                              all             every one of the above
//   EPOLL4J_FAULTS_PERCENT   the chance of a fault in each call that may get one, 0 to 100 (20)
//   EPOLL4J_FAULTS_SEED      seed of the pseudo-random choices (1)
//   EPOLL4J_FAULTS_THREADS   the prefix of the faulted threads' names (epoll4j-loop)
//   EPOLL4J_FAULTS_COUNTERS  a file that the counters are mapped to (MAP_SHARED), for the
//                            test to read at any moment: their names, one a line, ended by
//                            a NUL, in the first 4096 bytes, then each one's value as a
//                            64-bit integer in the machine's byte order, in the same order.
//
// The counters count the loop threads' calls only: calls.read and such count the calls,
// read.EINTR, write.short, sendmmsg.fewer and such the faults injected, and seen.* what the
// shim saw: connections accepted, epoll waits with a zero timeout that returned nothing, a
// listening socket taken out of reading (epoll_ctl MOD without EPOLLIN: a paused accept),
// datagrams received and sent.
//
// Each call that may get a fault gets one at the chance EPOLL4J_FAULTS_PERCENT says; the
// enabled faults of a function take turns. A fault that fails a call returns -1 before the
// real call is made: an accept4 that fails takes no pending connection, a recvmmsg no
// datagram, a sendmmsg sends none. A short count or a smaller vlen is the real call with less
// to do. epoll_ctl(2) names no transient error, so it is never faulted.
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

// ------------------------------------------------------------ counters

#define COUNTERS(X) \
    X(READ_CALLS, "calls.read") X(READ_EINTR, "read.EINTR") X(READ_EAGAIN, "read.EAGAIN") \
    X(READ_SHORT, "read.short") \
    X(WRITE_CALLS, "calls.write") X(WRITE_EINTR, "write.EINTR") X(WRITE_EAGAIN, "write.EAGAIN") \
    X(WRITE_SHORT, "write.short") \
    X(WRITEV_CALLS, "calls.writev") X(WRITEV_EINTR, "writev.EINTR") X(WRITEV_EAGAIN, "writev.EAGAIN") \
    X(WRITEV_SHORT, "writev.short") \
    X(ACCEPT_CALLS, "calls.accept4") X(ACCEPT_EAGAIN, "accept4.EAGAIN") X(ACCEPT_EINTR, "accept4.EINTR") \
    X(ACCEPT_ECONNABORTED, "accept4.ECONNABORTED") X(ACCEPT_EPROTO, "accept4.EPROTO") \
    X(ACCEPT_EPERM, "accept4.EPERM") X(ACCEPT_ENETDOWN, "accept4.ENETDOWN") \
    X(ACCEPT_ENOPROTOOPT, "accept4.ENOPROTOOPT") X(ACCEPT_EHOSTDOWN, "accept4.EHOSTDOWN") \
    X(ACCEPT_ENONET, "accept4.ENONET") X(ACCEPT_EHOSTUNREACH, "accept4.EHOSTUNREACH") \
    X(ACCEPT_EOPNOTSUPP, "accept4.EOPNOTSUPP") X(ACCEPT_ENETUNREACH, "accept4.ENETUNREACH") \
    X(ACCEPTED, "seen.accepted") \
    X(WAIT_CALLS, "calls.epoll_wait") X(WAIT_EINTR, "epoll_wait.EINTR") X(WAIT_FEWER, "epoll_wait.fewer") \
    X(WAIT_EMPTY_POLLS, "seen.empty_polls") \
    X(CTL_CALLS, "calls.epoll_ctl") X(CTL_LISTENER_PAUSED, "seen.listener_paused") \
    X(RECV_CALLS, "calls.recvmmsg") X(RECV_EINTR, "recvmmsg.EINTR") X(RECV_EAGAIN, "recvmmsg.EAGAIN") \
    X(RECV_FEWER, "recvmmsg.fewer") \
    X(SEND_CALLS, "calls.sendmmsg") X(SEND_EINTR, "sendmmsg.EINTR") X(SEND_EAGAIN, "sendmmsg.EAGAIN") \
    X(SEND_FEWER, "sendmmsg.fewer") \
    X(RECEIVED, "seen.datagrams_received") X(SENT, "seen.datagrams_sent")

#define ENUM(id, name) id,
enum counter { COUNTERS(ENUM) COUNTER_COUNT };
#define NAME(id, name) name,
static const char *const counter_names[] = { COUNTERS(NAME) };

#define NAMES_SIZE 4096
static uint64_t unmapped_counters[COUNTER_COUNT];
static uint64_t *counters = unmapped_counters;

static void count(enum counter c) {
    __atomic_fetch_add(&counters[c], 1, __ATOMIC_RELAXED);
}

// ------------------------------------------------------------ faults

// What a fault does: fail with an errno, or do the real call with less.
enum { SHORT = -1, FEWER = -2 };

struct fault {
    int error; // an errno, SHORT or FEWER
    enum counter counter;
};

// The faults enabled for one function, and the turn of the next: they take turns, so that
// every one of them is injected once the site has had as many faults as it has kinds.
struct site {
    int count;
    struct fault faults[12];
    unsigned int turn;
};

static struct site read_site, write_site, writev_site, accept_site, wait_site, recv_site, send_site;
static int percent = 20;
static uint64_t seed = 1;
static char thread_prefix[16] = "epoll4j-loop";

static void enable(struct site *site, int error, enum counter counter) {
    site->faults[site->count++] = (struct fault) { error, counter };
}

static int family_enabled(const char *families, const char *family) {
    size_t length = strlen(family);
    for (const char *at = families; *at != '\0'; ) {
        const char *end = strchr(at, ',');
        size_t n = end == NULL ? strlen(at) : (size_t) (end - at);
        if ((n == length && strncmp(at, family, n) == 0) || (n == 3 && strncmp(at, "all", 3) == 0)) {
            return 1;
        }
        if (end == NULL) {
            break;
        }
        at = end + 1;
    }
    return 0;
}

static void configure(const char *families) {
    if (family_enabled(families, "stream-io")) {
        enable(&read_site, EINTR, READ_EINTR);
        enable(&read_site, EAGAIN, READ_EAGAIN);
        enable(&read_site, SHORT, READ_SHORT);
        enable(&write_site, EINTR, WRITE_EINTR);
        enable(&write_site, EAGAIN, WRITE_EAGAIN);
        enable(&write_site, SHORT, WRITE_SHORT);
        enable(&writev_site, EINTR, WRITEV_EINTR);
        enable(&writev_site, EAGAIN, WRITEV_EAGAIN);
        enable(&writev_site, SHORT, WRITEV_SHORT);
    }
    if (family_enabled(families, "accept-retry")) {
        enable(&accept_site, EAGAIN, ACCEPT_EAGAIN);
        enable(&accept_site, EINTR, ACCEPT_EINTR);
    }
    if (family_enabled(families, "accept-aborted")) {
        enable(&accept_site, ECONNABORTED, ACCEPT_ECONNABORTED);
        enable(&accept_site, EPROTO, ACCEPT_EPROTO);
        enable(&accept_site, EPERM, ACCEPT_EPERM);
    }
    if (family_enabled(families, "accept-network")) {
        enable(&accept_site, ENETDOWN, ACCEPT_ENETDOWN);
        enable(&accept_site, ENOPROTOOPT, ACCEPT_ENOPROTOOPT);
        enable(&accept_site, EHOSTDOWN, ACCEPT_EHOSTDOWN);
        enable(&accept_site, ENONET, ACCEPT_ENONET);
        enable(&accept_site, EHOSTUNREACH, ACCEPT_EHOSTUNREACH);
        enable(&accept_site, EOPNOTSUPP, ACCEPT_EOPNOTSUPP);
        enable(&accept_site, ENETUNREACH, ACCEPT_ENETUNREACH);
    }
    if (family_enabled(families, "epoll-wait")) {
        enable(&wait_site, EINTR, WAIT_EINTR);
        enable(&wait_site, FEWER, WAIT_FEWER);
    }
    if (family_enabled(families, "recvmmsg")) {
        enable(&recv_site, EINTR, RECV_EINTR);
        enable(&recv_site, EAGAIN, RECV_EAGAIN);
        enable(&recv_site, FEWER, RECV_FEWER);
    }
    if (family_enabled(families, "sendmmsg")) {
        enable(&send_site, EINTR, SEND_EINTR);
        enable(&send_site, EAGAIN, SEND_EAGAIN);
        enable(&send_site, FEWER, SEND_FEWER);
    }
}

// Each thread draws from its own generator (splitmix64), seeded from the seed and its id.
static __thread __attribute__((tls_model("initial-exec"))) uint64_t random_state;

static uint64_t next_random(void) {
    if (random_state == 0) {
        random_state = seed ^ ((uint64_t) syscall(SYS_gettid) * 0x9E3779B97F4A7C15ULL);
    }
    uint64_t z = (random_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A fault for this call, at the configured chance, or NULL.
static const struct fault *draw(struct site *site) {
    if (site->count == 0 || next_random() % 100 >= (uint64_t) percent) {
        return NULL;
    }
    return &site->faults[__atomic_fetch_add(&site->turn, 1, __ATOMIC_RELAXED) % (unsigned int) site->count];
}

// Fewer than n (n > 1): half the time a few, else any number from 1 to n - 1.
static size_t fewer(size_t n) {
    size_t few = n - 1 < 16 ? n - 1 : 16;
    return 1 + next_random() % (next_random() % 2 == 0 ? few : n - 1);
}

static long fail(const struct fault *fault) {
    count(fault->counter);
    errno = fault->error;
    return -1;
}

// ------------------------------------------------------------ whose calls

static __thread __attribute__((tls_model("initial-exec"))) int loop_thread;

// Whether the calling thread is one of the loops'. Only a yes is kept: the JVM names a
// thread after it has started, and a loop thread keeps its name.
static int on_loop_thread(void) {
    if (!loop_thread) {
        char name[16] = { 0 };
        int saved = errno;
        if (prctl(PR_GET_NAME, name) == 0 && strncmp(name, thread_prefix, strlen(thread_prefix)) == 0) {
            loop_thread = 1;
        }
        errno = saved;
    }
    return loop_thread;
}

static int socket_option(int fd, int option) {
    int value = 0;
    socklen_t length = sizeof value;
    return getsockopt(fd, SOL_SOCKET, option, &value, &length) == 0 ? value : -1;
}

static int is_stream_socket(int fd) {
    int saved = errno;
    struct stat status;
    int stream = fstat(fd, &status) == 0 && S_ISSOCK(status.st_mode) && socket_option(fd, SO_TYPE) == SOCK_STREAM;
    errno = saved;
    return stream;
}

static int is_listening_socket(int fd) {
    int saved = errno;
    int listening = socket_option(fd, SO_ACCEPTCONN) == 1;
    errno = saved;
    return listening;
}

// ------------------------------------------------------------ the real functions

static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_epoll_pwait2)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
static int (*real_sendmmsg)(int, struct mmsghdr *, unsigned int, int);

// The next definition of name after this library's: libc's. The constructor resolves them
// all; a call that came before it would resolve its own.
static void *next_definition(void **slot, const char *name) {
    if (*slot == NULL) {
        *slot = dlsym(RTLD_NEXT, name);
    }
    return *slot;
}

#define REAL(name) ((__typeof__(real_##name)) next_definition((void **) &real_##name, #name))

static void map_counters(const char *path) {
    size_t size = NAMES_SIZE + COUNTER_COUNT * sizeof(uint64_t);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return;
    }
    void *memory = ftruncate(fd, (off_t) size) == 0
            ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    close(fd); // the mapping stays; the echo server's fd count does not see it
    if (memory == MAP_FAILED) {
        return;
    }
    char *names = memory;
    size_t at = 0;
    for (int i = 0; i < COUNTER_COUNT; i++) {
        size_t length = strlen(counter_names[i]);
        if (at + length + 2 > NAMES_SIZE) {
            break;
        }
        memcpy(names + at, counter_names[i], length);
        names[at + length] = '\n';
        at += length + 1;
    }
    names[at] = '\0';
    counters = (uint64_t *) (names + NAMES_SIZE);
}

__attribute__((constructor)) static void start(void) {
    REAL(read);
    REAL(write);
    REAL(writev);
    REAL(accept4);
    REAL(epoll_wait);
    REAL(epoll_pwait);
    REAL(epoll_pwait2);
    REAL(epoll_ctl);
    REAL(recvmmsg);
    REAL(sendmmsg);
    const char *value = getenv("EPOLL4J_FAULTS_PERCENT");
    if (value != NULL) {
        int chance = atoi(value);
        percent = chance < 0 ? 0 : chance > 100 ? 100 : chance;
    }
    value = getenv("EPOLL4J_FAULTS_SEED");
    if (value != NULL) {
        seed = strtoull(value, NULL, 10);
    }
    value = getenv("EPOLL4J_FAULTS_THREADS");
    if (value != NULL && value[0] != '\0') {
        strncpy(thread_prefix, value, sizeof thread_prefix - 1);
    }
    value = getenv("EPOLL4J_FAULTS");
    configure(value == NULL ? "" : value);
    value = getenv("EPOLL4J_FAULTS_COUNTERS");
    if (value != NULL && value[0] != '\0') {
        map_counters(value);
    }
}

// ------------------------------------------------------------ the wrappers

ssize_t read(int fd, void *buffer, size_t length) {
    if (!on_loop_thread()) {
        return REAL(read)(fd, buffer, length);
    }
    count(READ_CALLS);
    const struct fault *fault = is_stream_socket(fd) ? draw(&read_site) : NULL;
    if (fault != NULL && fault->error != SHORT) {
        return fail(fault);
    }
    if (fault != NULL && length > 1) {
        count(fault->counter);
        length = fewer(length);
    }
    return REAL(read)(fd, buffer, length);
}

ssize_t write(int fd, const void *buffer, size_t length) {
    if (!on_loop_thread()) {
        return REAL(write)(fd, buffer, length);
    }
    count(WRITE_CALLS);
    const struct fault *fault = is_stream_socket(fd) ? draw(&write_site) : NULL;
    if (fault != NULL && fault->error != SHORT) {
        return fail(fault);
    }
    if (fault != NULL && length > 1) {
        count(fault->counter);
        length = fewer(length);
    }
    return REAL(write)(fd, buffer, length);
}

ssize_t writev(int fd, const struct iovec *iov, int count_of_iov) {
    if (!on_loop_thread()) {
        return REAL(writev)(fd, iov, count_of_iov);
    }
    count(WRITEV_CALLS);
    const struct fault *fault = is_stream_socket(fd) ? draw(&writev_site) : NULL;
    if (fault != NULL && fault->error != SHORT) {
        return fail(fault);
    }
    if (fault == NULL || count_of_iov <= 0 || count_of_iov > IOV_MAX) {
        return REAL(writev)(fd, iov, count_of_iov);
    }
    size_t total = 0;
    for (int i = 0; i < count_of_iov; i++) {
        total += iov[i].iov_len;
    }
    if (total <= 1) {
        return REAL(writev)(fd, iov, count_of_iov);
    }
    // The same buffers, cut after a shorter total.
    count(fault->counter);
    size_t limit = fewer(total);
    struct iovec shorter[count_of_iov];
    int n = 0;
    for (size_t taken = 0; n < count_of_iov && taken < limit; n++) {
        shorter[n] = iov[n];
        if (shorter[n].iov_len > limit - taken) {
            shorter[n].iov_len = limit - taken;
        }
        taken += shorter[n].iov_len;
    }
    return REAL(writev)(fd, shorter, n);
}

int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    if (!on_loop_thread()) {
        return REAL(accept4)(fd, address, length, flags);
    }
    count(ACCEPT_CALLS);
    const struct fault *fault = draw(&accept_site);
    if (fault != NULL) {
        return (int) fail(fault); // no pending connection taken
    }
    int accepted = REAL(accept4)(fd, address, length, flags);
    if (accepted >= 0) {
        count(ACCEPTED);
    }
    return accepted;
}

// The fault for an epoll wait: EINTR (returned), or fewer events (*max made smaller).
static const struct fault *wait_fault(int *max) {
    count(WAIT_CALLS);
    const struct fault *fault = draw(&wait_site);
    if (fault != NULL && fault->error == FEWER) {
        if (*max > 1) {
            count(fault->counter);
            *max = 1 + (int) (next_random() % (uint64_t) (*max - 1 < 2 ? *max - 1 : 2));
        }
        return NULL;
    }
    return fault;
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout) {
    if (!on_loop_thread()) {
        return REAL(epoll_wait)(epfd, events, max, timeout);
    }
    const struct fault *fault = wait_fault(&max);
    if (fault != NULL) {
        return (int) fail(fault);
    }
    int n = REAL(epoll_wait)(epfd, events, max, timeout);
    if (n == 0 && timeout == 0) {
        count(WAIT_EMPTY_POLLS);
    }
    return n;
}

int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask) {
    if (!on_loop_thread()) {
        return REAL(epoll_pwait)(epfd, events, max, timeout, mask);
    }
    const struct fault *fault = wait_fault(&max);
    if (fault != NULL) {
        return (int) fail(fault);
    }
    int n = REAL(epoll_pwait)(epfd, events, max, timeout, mask);
    if (n == 0 && timeout == 0) {
        count(WAIT_EMPTY_POLLS);
    }
    return n;
}

int epoll_pwait2(int epfd, struct epoll_event *events, int max, const struct timespec *timeout,
                 const sigset_t *mask) {
    if (!on_loop_thread()) {
        return REAL(epoll_pwait2)(epfd, events, max, timeout, mask);
    }
    const struct fault *fault = wait_fault(&max);
    if (fault != NULL) {
        return (int) fail(fault);
    }
    int n = REAL(epoll_pwait2)(epfd, events, max, timeout, mask);
    if (n == 0 && timeout != NULL && timeout->tv_sec == 0 && timeout->tv_nsec == 0) {
        count(WAIT_EMPTY_POLLS);
    }
    return n;
}

// Counted, and a listening socket taken out of reading noted (a paused accept); never faulted.
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
    if (!on_loop_thread()) {
        return REAL(epoll_ctl)(epfd, op, fd, event);
    }
    count(CTL_CALLS);
    if (op == EPOLL_CTL_MOD && event != NULL && (event->events & EPOLLIN) == 0 && is_listening_socket(fd)) {
        count(CTL_LISTENER_PAUSED);
    }
    return REAL(epoll_ctl)(epfd, op, fd, event);
}

int recvmmsg(int fd, struct mmsghdr *messages, unsigned int n, int flags, struct timespec *timeout) {
    if (!on_loop_thread()) {
        return REAL(recvmmsg)(fd, messages, n, flags, timeout);
    }
    count(RECV_CALLS);
    const struct fault *fault = draw(&recv_site);
    if (fault != NULL && fault->error != FEWER) {
        return (int) fail(fault); // no datagram taken
    }
    if (fault != NULL && n > 1) {
        count(fault->counter);
        n = (unsigned int) fewer(n);
    }
    int received = REAL(recvmmsg)(fd, messages, n, flags, timeout);
    if (received > 0) {
        __atomic_fetch_add(&counters[RECEIVED], (uint64_t) received, __ATOMIC_RELAXED);
    }
    return received;
}

int sendmmsg(int fd, struct mmsghdr *messages, unsigned int n, int flags) {
    if (!on_loop_thread()) {
        return REAL(sendmmsg)(fd, messages, n, flags);
    }
    count(SEND_CALLS);
    const struct fault *fault = draw(&send_site);
    if (fault != NULL && fault->error != FEWER) {
        return (int) fail(fault); // no datagram sent
    }
    if (fault != NULL && n > 1) {
        count(fault->counter);
        n = (unsigned int) fewer(n);
    }
    int sent = REAL(sendmmsg)(fd, messages, n, flags);
    if (sent > 0) {
        __atomic_fetch_add(&counters[SENT], (uint64_t) sent, __ATOMIC_RELAXED);
    }
    return sent;
}
