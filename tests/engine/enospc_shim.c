/* Test shim, loaded with LD_PRELOAD by tests/engine/test_nothing_lost.cpp: a disk that fills up
 * under one folder. Writes that make a file below $ENOSPC_DIR grow fail with ENOSPC once the
 * files there have grown by more than $ENOSPC_BYTES in total, as on a full file system:
 * overwriting bytes a file already has still succeeds, growing it does not. Covers the calls
 * SQLite's unix VFS and stdio use to write and to reserve space. Never built into triage. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_llong grown;

/* Whether FD is a regular file below $ENOSPC_DIR. */
static int watched(int fd, struct stat* st) {
    const char* dir = getenv("ENOSPC_DIR");
    if (!dir || !*dir) return 0;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) return 0;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = '\0';
    size_t len = strlen(dir);
    return strncmp(path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* 1 (errno = ENOSPC) when writing COUNT bytes at OFFSET (-1: the current position) would grow
 * a watched file past the free space left. */
static int no_space(int fd, off_t offset, size_t count) {
    struct stat st;
    if (count == 0 || !watched(fd, &st)) return 0;
    if (offset < 0) {
        int fl = fcntl(fd, F_GETFL);
        offset = (fl >= 0 && (fl & O_APPEND)) ? st.st_size : lseek(fd, 0, SEEK_CUR);
        if (offset < 0) return 0;
    }
    long long end = (long long)offset + (long long)count;
    if (end <= st.st_size) return 0;
    long long growth = end - (st.st_size > offset ? st.st_size : offset);
    const char* b = getenv("ENOSPC_BYTES");
    long long budget = b ? atoll(b) : 0;
    if (atomic_fetch_add(&grown, growth) + growth > budget) {
        atomic_fetch_sub(&grown, growth);
        errno = ENOSPC;
        return 1;
    }
    return 0;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void* buf, size_t count) {
    if (no_space(fd, -1, count)) return -1;
    return REAL(write)(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
    if (no_space(fd, offset, count)) return -1;
    return REAL(pwrite)(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
    if (no_space(fd, offset, count)) return -1;
    return REAL(pwrite64)(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int n) {
    size_t total = 0;
    for (int i = 0; i < n; ++i) total += iov[i].iov_len;
    if (no_space(fd, -1, total)) return -1;
    return REAL(writev)(fd, iov, n);
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
    if (mode == 0 && no_space(fd, offset, (size_t)len)) return -1;
    return REAL(fallocate)(fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off64_t offset, off64_t len) {
    if (mode == 0 && no_space(fd, offset, (size_t)len)) return -1;
    return REAL(fallocate64)(fd, mode, offset, len);
}

int posix_fallocate(int fd, off_t offset, off_t len) {
    if (no_space(fd, offset, (size_t)len)) return ENOSPC;
    return REAL(posix_fallocate)(fd, offset, len);
}

int posix_fallocate64(int fd, off64_t offset, off64_t len) {
    if (no_space(fd, offset, (size_t)len)) return ENOSPC;
    return REAL(posix_fallocate64)(fd, offset, len);
}
