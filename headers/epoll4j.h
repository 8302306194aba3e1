// SPDX-License-Identifier: Apache-2.0
/*
 * The one header jextract reads to generate org.epoll4j.ffi; jextract.args
 * decides which of its symbols are kept.
 *
 * _GNU_SOURCE exposes pipe2, epoll_pwait2, strerrorname_np, strerrordesc_np, gettid and
 * tgkill. The timerfd, signalfd and signal calls are for the tests of Watch.
 * malloc and free give queued output chunks that can be freed one by one. dlsym finds
 * every function as a C program's call binds (RTLD_DEFAULT is a GNU extension).
 */
#define _GNU_SOURCE
#include <features.h>

/*
 * Under __USE_GNU, <sys/socket.h> declares every sockaddr argument as a GCC
 * transparent union (__SOCKADDR_ARG), which jextract cannot express as a
 * pointer. The socket headers are read without it, so those arguments are
 * plain struct sockaddr pointers, and accept4 (a GNU extension) is declared
 * here with glibc's prototype.
 */
#undef __USE_GNU
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#define __USE_GNU 1
extern int accept4(int __fd, struct sockaddr *__addr, socklen_t *__addr_len, int __flags);
/* Also GNU: the batched datagram calls and their struct, and SO_PEERCRED's credentials. */
struct mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int recvmmsg(int __fd, struct mmsghdr *__vmessages, unsigned int __vlen, int __flags,
                    struct timespec *__tmo);
extern int sendmmsg(int __fd, struct mmsghdr *__vmessages, unsigned int __vlen, int __flags);
struct ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h> /* after __USE_GNU again: it includes string.h, which strerrorname_np needs GNU for */
#include <time.h>
#include <unistd.h>
