#ifndef GATEHOUSE_CLIBPQ_SHIM_H
#define GATEHOUSE_CLIBPQ_SHIM_H

#include <libpq-fe.h>

/* What driving libpq's sockets asynchronously needs: epoll, behind two small helpers so
 * that Swift never handles the packed struct epoll_event itself. */
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>

/* Arms `fd` for one readiness event (`events`: EPOLLIN or EPOLLOUT); adds it when new. */
static inline int gatehouse_epoll_arm(int epfd, int fd, uint32_t events) {
    struct epoll_event event = {.events = events | EPOLLONESHOT, .data.fd = fd};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event) == 0) return 0;
    if (errno != ENOENT) return -1;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

/* Waits for events; writes the ready descriptors to `fds` (at most 64); returns their count. */
static inline int gatehouse_epoll_wait(int epfd, int *fds, int timeout_ms) {
    struct epoll_event events[64];
    int count = epoll_wait(epfd, events, 64, timeout_ms);
    for (int i = 0; i < count; i++) fds[i] = events[i].data.fd;
    return count;
}

#endif
