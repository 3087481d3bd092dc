/*
 * Preloaded into Bochs (LD_PRELOAD) by qemu/bochs.ts: sets TCP_NODELAY on
 * the TCP sockets it connects — COM2's socket-client, the wire to the host.
 * Bochs writes a UART's bytes one write() at a time and does not set it
 * itself, so Nagle's algorithm holds each frame's bytes after the first
 * until the host's delayed ACK comes (tens of milliseconds): every frame the
 * firmware sends would wait for it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real_connect)(int, const struct sockaddr *, socklen_t);
    if (!real_connect) real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    int r = real_connect(fd, addr, len);
    int saved = errno;
    int type = 0;
    socklen_t type_len = sizeof type;
    if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) &&
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    errno = saved;
    return r;
}
