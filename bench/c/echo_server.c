// SPDX-License-Identifier: Apache-2.0
// C epoll echo server: the floor the JVM servers are measured against.
//
//   echo_server [--host 127.0.0.1] [--port 0] [--threads N]   TCP
//   echo_server --unix PATH                                   Unix domain stream socket
//   ... [--events N] [--edge]                                 (TCP and Unix; see below)
//   echo_server [--host 127.0.0.1] [--port 0] --udp           UDP, each datagram echoed to its sender
//
// TCP and Unix: level-triggered epoll, non-blocking accept4. Every read lands in
// one buffer of the loop's and is written straight back; only when the kernel takes
// less than the whole read does the remainder get copied into a per-connection
// buffer, and the connection switches from EPOLLIN to EPOLLOUT until it drains
// (so a slow reader applies back-pressure instead of growing memory).
//
// --threads N (TCP only, default 1): N loops, each a thread with its own
// SO_REUSEPORT listener on the same port and its own epoll set; the kernel spreads
// new connections over the listeners. With 1 (the default) there is one listener,
// without SO_REUSEPORT, served by the main thread.
//
// --events N (TCP and Unix, default MAX_EVENTS): the event array of each epoll_wait, and so
// the most fds a turn serves (bench/tail compares 1024 with epoll4j's 256, issue #21).
//
// --edge (TCP and Unix, one loop): connections edge-triggered (EPOLLIN | EPOLLOUT | EPOLLRDHUP |
// EPOLLET), served in the order their data arrived, as the kernel's ready list has them with
// EPOLLET (over TCP; over a Unix socket the client's every read of an echo raises an EPOLLOUT
// edge too, and so moves the fd). A read that fills the buffer may have left more, and one after
// the peer's FIN may not have seen the end yet, so the fd goes to the back of the loop's own FIFO
// and is read again next turn, before that turn's events; a connection whose echo is blocked is
// read again once it drains.
// The question it answers for issue #21: does the kernel's arrival order alone serve connections
// evenly, where level-triggered waits that take every ready fd do not?
//
// --udp: one non-blocking socket on epoll. Each time it is readable, recvmmsg takes up
// to UDP_BATCH datagrams and sendmmsg sends each back to its sender in one call. A
// datagram the kernel won't take (EAGAIN) is dropped, as UDP may.
//
// Prints "listening on HOST:PORT" ("listening on unix:PATH", "listening on udp HOST:PORT")
// once ready and serves until SIGTERM; with --unix it removes the socket file then.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// MAX_EVENTS as large as the JDK selector's (1024): 1000 ready connections take one epoll_wait
// (unless --events says fewer).
enum { READ_BUFFER_SIZE = 64 * 1024, MAX_EVENTS = 1024, BACKLOG = 4096, MAX_THREADS = 64 };
enum { UDP_BATCH = 32, UDP_MAX_DATAGRAM = 64 * 1024 };

// Bytes the kernel did not take yet; indexed by fd (fds are unique across the
// process, so the loops share the table, each touching only its own fds).
// Empty for almost every connection.
struct pending {
    char *data;
    size_t offset;
    size_t length;
    int edge_queued;   // --edge: in the loop's FIFO
    int edge_wants_in; // --edge: readable, but not read until the pending bytes are written
    int edge_peer_done; // --edge: EPOLLRDHUP seen: read until read(2) says 0
};

static struct pending *pending_by_fd;
static size_t pending_capacity;
static __thread int epfd; // each loop thread's own epoll set
static int is_tcp = 1;    // TCP_NODELAY on accepted sockets (not for Unix sockets)
static int edge;          // --edge
// --edge: each loop's FIFO of connections to read again (a ring of fds, capacity pending_capacity).
static __thread int *fifo;
static __thread size_t fifo_head, fifo_count;
static const char *unix_path;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void fifo_push(int fd) {
    if (pending_by_fd[fd].edge_queued) return;
    pending_by_fd[fd].edge_queued = 1;
    fifo[(fifo_head + fifo_count++) % pending_capacity] = fd;
}

static void set_interest(int fd, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl(MOD)");
}

static void close_connection(int fd) {
    free(pending_by_fd[fd].data);
    pending_by_fd[fd] = (struct pending){0};
    close(fd); // also removes it from the epoll set: no other process shares the file
}

static void accept_all(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
            if (errno == EMFILE || errno == ENFILE) {
                perror("accept4");
                return; // stays readable; the next wait retries
            }
            die("accept4");
        }
        if ((size_t)fd >= pending_capacity) {
            fprintf(stderr, "fd %d over the open-file limit %zu\n", fd, pending_capacity);
            close(fd);
            continue;
        }
        if (is_tcp) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        struct epoll_event ev = {.events = edge ? EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET : EPOLLIN, .data.fd = fd};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(ADD)");
    }
}

// Writes buf[0..length) and queues what the kernel did not take. Returns -1 if the peer is gone.
static int write_or_queue(int fd, const char *buf, size_t length) {
    ssize_t written = write(fd, buf, length);
    if (written < 0) {
        if (errno != EAGAIN && errno != EINTR) return -1;
        written = 0;
    }
    if ((size_t)written == length) return 0;
    struct pending *p = &pending_by_fd[fd];
    p->length = length - (size_t)written;
    p->offset = 0;
    p->data = malloc(p->length);
    if (p->data == NULL) die("malloc");
    memcpy(p->data, buf + written, p->length);
    if (!edge) set_interest(fd, EPOLLOUT); // edge: EPOLLOUT is always watched
    return 0;
}

static void on_readable(int fd, char *buf) {
    ssize_t n = read(fd, buf, READ_BUFFER_SIZE);
    if (n > 0) {
        if (write_or_queue(fd, buf, (size_t)n) < 0) close_connection(fd);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_connection(fd); // EOF or ECONNRESET
    }
}

// Writes what is pending; returns -1 if that closed the connection.
static int on_writable(int fd) {
    struct pending *p = &pending_by_fd[fd];
    ssize_t written = write(fd, p->data + p->offset, p->length - p->offset);
    if (written < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            close_connection(fd);
            return -1;
        }
        return 0;
    }
    p->offset += (size_t)written;
    if (p->offset == p->length) {
        free(p->data);
        p->data = NULL;
        p->offset = p->length = 0;
        if (!edge) {
            set_interest(fd, EPOLLIN);
        } else if (p->edge_wants_in) {
            p->edge_wants_in = 0;
            fifo_push(fd); // what arrived meanwhile raised no new edge
        }
    }
    return 0;
}

// --edge: one read; a full buffer may have left more, and after the peer's FIN the end is still to
// be read, so the fd goes to the back of the FIFO.
static void on_readable_edge(int fd, char *buf) {
    struct pending *p = &pending_by_fd[fd];
    if (p->data != NULL) {
        p->edge_wants_in = 1; // the echo is blocked: read after it drains
        return;
    }
    ssize_t n = read(fd, buf, READ_BUFFER_SIZE);
    if (n > 0) {
        if (write_or_queue(fd, buf, (size_t)n) < 0) {
            close_connection(fd);
        } else if (n == READ_BUFFER_SIZE || p->edge_peer_done) {
            fifo_push(fd);
        }
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_connection(fd);
    } else if (errno == EINTR) {
        fifo_push(fd);
    }
}

// Opens a TCP (SOCK_STREAM) or UDP (SOCK_DGRAM) socket bound to host:port; a listener for TCP.
// Writes "HOST:PORT" as bound to `bound`.
static int open_inet(const char *host, int port, int type, int reuse_port, char *bound, size_t bound_size) {
    struct sockaddr_in6 addr6 = {0};
    struct sockaddr_in addr4 = {0};
    struct sockaddr *addr;
    socklen_t addr_len;
    int family;
    if (inet_pton(AF_INET, host, &addr4.sin_addr) == 1) {
        addr4.sin_family = AF_INET;
        addr4.sin_port = htons((uint16_t)port);
        addr = (struct sockaddr *)&addr4;
        addr_len = sizeof addr4;
        family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &addr6.sin6_addr) == 1) {
        addr6.sin6_family = AF_INET6;
        addr6.sin6_port = htons((uint16_t)port);
        addr = (struct sockaddr *)&addr6;
        addr_len = sizeof addr6;
        family = AF_INET6;
    } else {
        fprintf(stderr, "--host must be a numeric address, got '%s'\n", host);
        exit(2);
    }
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("setsockopt(SO_REUSEPORT)");
    if (bind(fd, addr, addr_len) < 0) die("bind");
    if (type == SOCK_STREAM && listen(fd, BACKLOG) < 0) die("listen");
    if (getsockname(fd, addr, &addr_len) < 0) die("getsockname");
    int bound_port = ntohs(family == AF_INET ? addr4.sin_port : addr6.sin6_port);
    snprintf(bound, bound_size, family == AF_INET ? "%s:%d" : "[%s]:%d", host, bound_port);
    return fd;
}

// A Unix stream listener at path; an existing file there is an error (EADDRINUSE).
static int open_unix(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "--unix path longer than %zu bytes: %s\n", sizeof addr.sun_path - 1, path);
        exit(2);
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket(AF_UNIX)");
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind(unix)");
    if (listen(fd, BACKLOG) < 0) die("listen");
    return fd;
}

static void on_terminate(int sig) {
    (void)sig;
    if (unix_path != NULL) unlink(unix_path);
    _exit(0);
}

// One loop: an epoll set with one listener, serving until the process ends.
static int max_events = MAX_EVENTS;

static void *serve(void *listener_arg) {
    int listener = (int)(intptr_t)listener_arg;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    struct epoll_event listen_event = {.events = EPOLLIN, .data.fd = listener};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &listen_event) < 0) die("epoll_ctl(ADD listener)");
    char *buf = malloc(READ_BUFFER_SIZE);
    if (buf == NULL) die("malloc");
    if (edge && (fifo = malloc(pending_capacity * sizeof *fifo)) == NULL) die("malloc");
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int ready = epoll_wait(epfd, events, max_events, fifo_count > 0 ? 0 : -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        // The FIFO's fds were read in an earlier turn and may hold more: each is read once, before
        // this wait's events, which skip an fd queued again meanwhile (read next turn).
        for (size_t left = fifo_count; left > 0; left--) {
            int fd = fifo[fifo_head];
            fifo_head = (fifo_head + 1) % pending_capacity;
            fifo_count--;
            if (pending_by_fd[fd].edge_queued) { // not closed since
                pending_by_fd[fd].edge_queued = 0;
                on_readable_edge(fd, buf);
            }
        }
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            uint32_t ev = events[i].events;
            if (fd == listener) {
                accept_all(listener);
            } else if (edge) {
                if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP) && pending_by_fd[fd].data != NULL && on_writable(fd) < 0)
                    continue; // closed
                if (ev & (EPOLLRDHUP | EPOLLHUP)) pending_by_fd[fd].edge_peer_done = 1;
                if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR) && !pending_by_fd[fd].edge_queued)
                    on_readable_edge(fd, buf);
            } else if (ev & EPOLLOUT) {
                on_writable(fd);
            } else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(fd, buf); // read reports EOF or the error
            }
        }
    }
    return NULL;
}

// UDP: recvmmsg a batch, sendmmsg it back to the senders. Level-triggered: a batch that
// came back short means the socket is drained, so the next step is epoll_wait, not an EAGAIN read.
static void serve_udp(int fd) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl(ADD udp)");
    static char buffers[UDP_BATCH][UDP_MAX_DATAGRAM];
    static struct sockaddr_storage senders[UDP_BATCH];
    static struct iovec iov[UDP_BATCH];
    static struct mmsghdr msgs[UDP_BATCH];
    for (int i = 0; i < UDP_BATCH; i++) {
        iov[i] = (struct iovec){.iov_base = buffers[i], .iov_len = UDP_MAX_DATAGRAM};
        msgs[i].msg_hdr = (struct msghdr){.msg_name = &senders[i], .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    struct epoll_event events[1];
    for (;;) {
        int ready = epoll_wait(epfd, events, 1, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (;;) {
            for (int i = 0; i < UDP_BATCH; i++) {
                iov[i].iov_len = UDP_MAX_DATAGRAM;
                msgs[i].msg_hdr.msg_namelen = sizeof senders[i];
            }
            int n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                die("recvmmsg");
            }
            for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len; // what arrived; msg_namelen is the sender's
            for (int sent = 0; sent < n;) {
                int k = sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
                if (k < 0) {
                    if (errno == EINTR) continue;
                    if (errno == EAGAIN || errno == ENOBUFS) break; // dropped, as UDP may
                    // an ICMP error from an earlier send (a client gone): skip that datagram
                    k = 1;
                }
                sent += k;
            }
            if (n < UDP_BATCH) break;
        }
    }
}

static void usage(const char *self) {
    fprintf(stderr, "usage: %s [--host ADDR] [--port PORT] [--threads N] [--events N] [--edge] | [--host ADDR] [--port PORT] --udp | --unix PATH [--events N] [--edge]\n", self);
    exit(2);
}

// The value of a flag as a whole number from min to max, or exit 2.
static int flag_number(const char *flag, const char *text, long min, long max) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (!(isdigit((unsigned char)text[0]) || (text[0] == '-' && isdigit((unsigned char)text[1]))) || *end != '\0' || errno != 0 || value < min || value > max) {
        fprintf(stderr, "%s takes a number from %ld to %ld, not '%s'\n", flag, min, max, text);
        exit(2);
    }
    return (int)value;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, threads = 1, udp = 0, events_given = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
            host = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = flag_number("--port", argv[++i], 0, 65535);
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = flag_number("--threads", argv[++i], 1, MAX_THREADS);
        } else if (strcmp(argv[i], "--unix") == 0 && i + 1 < argc) {
            unix_path = argv[++i];
        } else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            max_events = flag_number("--events", argv[++i], 1, MAX_EVENTS);
            events_given = 1;
        } else if (strcmp(argv[i], "--udp") == 0) {
            udp = 1;
        } else if (strcmp(argv[i], "--edge") == 0) {
            edge = 1;
        } else {
            usage(argv[0]);
        }
    }
    if (edge && (udp || threads > 1)) {
        // Loops share the fd table: one loop's queued fd, closed and reused by another, would be its.
        fprintf(stderr, "--edge is for TCP and Unix sockets, one loop\n");
        return 2;
    }
    if (events_given && udp) {
        fprintf(stderr, "--events is for TCP and Unix sockets\n");
        return 2;
    }
    if ((threads > 1 && (udp || unix_path != NULL)) || (udp && unix_path != NULL)) {
        fprintf(stderr, "--threads is for TCP only, and --udp and --unix exclude each other\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); // a write to a reset connection must return EPIPE, not kill us

    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0) die("getrlimit");
    pending_capacity = limit.rlim_cur == RLIM_INFINITY ? 1 << 20 : (size_t)limit.rlim_cur;
    pending_by_fd = calloc(pending_capacity, sizeof *pending_by_fd);
    if (pending_by_fd == NULL) die("calloc");

    char bound[160];
    if (udp) {
        int fd = open_inet(host, port, SOCK_DGRAM, 0, bound, sizeof bound);
        printf("listening on udp %s\n", bound);
        fflush(stdout);
        serve_udp(fd);
        return 0;
    }
    if (unix_path != NULL) {
        is_tcp = 0;
        int listener = open_unix(unix_path);
        struct sigaction sa = {.sa_handler = on_terminate};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        printf("listening on unix:%s\n", unix_path);
        fflush(stdout);
        serve((void *)(intptr_t)listener);
        return 0;
    }
    // Every listener is bound before the ready line, so no connection is refused; loops 1..N-1
    // get threads of their own and loop 0 runs on the main thread.
    int listeners[MAX_THREADS];
    listeners[0] = open_inet(host, port, SOCK_STREAM, threads > 1, bound, sizeof bound);
    if (threads > 1) {
        int bound_port = atoi(strrchr(bound, ':') + 1);
        char ignored[160];
        for (int t = 1; t < threads; t++)
            listeners[t] = open_inet(host, bound_port, SOCK_STREAM, 1, ignored, sizeof ignored);
        for (int t = 1; t < threads; t++) {
            pthread_t thread;
            int rc = pthread_create(&thread, NULL, serve, (void *)(intptr_t)listeners[t]);
            if (rc != 0) {
                errno = rc;
                die("pthread_create");
            }
        }
    }
    printf("listening on %s\n", bound);
    fflush(stdout);
    serve((void *)(intptr_t)listeners[0]);
    return 0;
}
