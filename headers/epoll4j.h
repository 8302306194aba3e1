/*
 * The one header jextract reads to generate org.epoll4j.ffi.
 * _GNU_SOURCE exposes accept4, pipe2, epoll_pwait2, strerrorname_np and
 * strerrordesc_np. Which symbols are kept is decided by jextract.args.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>
