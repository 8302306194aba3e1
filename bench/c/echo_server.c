// C epoll echo server: the floor the JVM servers are measured against.
//
//   echo_server --host 127.0.0.1 --port 0
//
// One thread, level-triggered epoll, non-blocking accept4. Every read lands in
// one shared buffer and is written straight back; only when the kernel takes
// less than the whole read does the remainder get copied into a per-connection
// buffer, and the connection switches from EPOLLIN to EPOLLOUT until it drains
// (so a slow reader applies back-pressure instead of growing memory).
// Prints "listening on HOST:PORT" once ready and serves until SIGTERM.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

// MAX_EVENTS as large as the JDK selector's (1024): 1000 ready connections take one epoll_wait.
enum { READ_BUFFER_SIZE = 64 * 1024, MAX_EVENTS = 1024, BACKLOG = 4096 };

// Bytes the kernel did not take yet; indexed by fd. Empty for almost every connection.
struct pending {
    char *data;
    size_t offset;
    size_t length;
};

static struct pending *pending_by_fd;
static size_t pending_capacity;
static int epfd;

static void die(const char *what) {
    perror(what);
    exit(1);
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
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
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
    set_interest(fd, EPOLLOUT);
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

static void on_writable(int fd) {
    struct pending *p = &pending_by_fd[fd];
    ssize_t written = write(fd, p->data + p->offset, p->length - p->offset);
    if (written < 0) {
        if (errno != EAGAIN && errno != EINTR) close_connection(fd);
        return;
    }
    p->offset += (size_t)written;
    if (p->offset == p->length) {
        free(p->data);
        *p = (struct pending){0};
        set_interest(fd, EPOLLIN);
    }
}

static int open_listener(const char *host, int port, char *bound, size_t bound_size) {
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
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, addr, addr_len) < 0) die("bind");
    if (listen(fd, BACKLOG) < 0) die("listen");
    if (getsockname(fd, addr, &addr_len) < 0) die("getsockname");
    int bound_port = ntohs(family == AF_INET ? addr4.sin_port : addr6.sin6_port);
    snprintf(bound, bound_size, family == AF_INET ? "%s:%d" : "[%s]:%d", host, bound_port);
    return fd;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
            host = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--host ADDR] [--port PORT]\n", argv[0]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN); // a write to a reset connection must return EPIPE, not kill us

    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0) die("getrlimit");
    pending_capacity = limit.rlim_cur == RLIM_INFINITY ? 1 << 20 : (size_t)limit.rlim_cur;
    pending_by_fd = calloc(pending_capacity, sizeof *pending_by_fd);
    if (pending_by_fd == NULL) die("calloc");

    char bound[128];
    int listener = open_listener(host, port, bound, sizeof bound);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    struct epoll_event listen_event = {.events = EPOLLIN, .data.fd = listener};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &listen_event) < 0) die("epoll_ctl(ADD listener)");

    printf("listening on %s\n", bound);
    fflush(stdout);

    static char buf[READ_BUFFER_SIZE];
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int ready = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            uint32_t ev = events[i].events;
            if (fd == listener) {
                accept_all(listener);
            } else if (ev & EPOLLOUT) {
                on_writable(fd);
            } else if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(fd, buf); // read reports EOF or the error
            }
        }
    }
}
