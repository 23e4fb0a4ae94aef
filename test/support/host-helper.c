/*
 * host-helper: the system calls node:fs does not offer, for checking ModelFs against the host
 * (test/support/model-fs-rename.test.ts compiles and runs it). Reads one command per line on
 * stdin, answers one line on stdout: "OK", "OK <hex value>", "OK <hex name>,<hex name>..." or the
 * errno name ("ENOENT").
 *   R <flags> <old path> <new path>        renameat2(AT_FDCWD, old, AT_FDCWD, new, flags)
 *   S <flags> <hex name> <hex value> <path> lsetxattr
 *   G <hex name> <path>                     lgetxattr
 *   X <hex name> <path>                     lremovexattr
 *   L <path>                                llistxattr
 * Paths contain no spaces. An empty hex string is written as "-".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *errname(int e) {
  switch (e) {
    case ENOENT: return "ENOENT"; case EEXIST: return "EEXIST"; case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR"; case ENOTEMPTY: return "ENOTEMPTY"; case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY"; case ENODATA: return "ENODATA"; case ERANGE: return "ERANGE";
    case E2BIG: return "E2BIG"; case EPERM: return "EPERM"; case ENOSPC: return "ENOSPC";
    case ENAMETOOLONG: return "ENAMETOOLONG"; case EOPNOTSUPP: return "EOPNOTSUPP";
    case EXDEV: return "EXDEV"; case EACCES: return "EACCES";
    default: return "EOTHER";
  }
}

static size_t unhex(const char *h, char *out) {
  if (strcmp(h, "-") == 0) return 0;
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++) sscanf(h + 2 * i, "%2hhx", (unsigned char *)&out[i]);
  return n;
}

static void hex(const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)b[i]);
}

int main(void) {
  static char line[1 << 20], a[1 << 19], b[1 << 19], c[4096], d[4096], name[1024], val[1 << 17];
  while (fgets(line, sizeof line, stdin)) {
    long r = -1;
    if (line[0] == 'R') {
      unsigned flags;
      if (sscanf(line, "R %u %4095s %4095s", &flags, c, d) != 3) return 2;
      r = syscall(SYS_renameat2, AT_FDCWD, c, AT_FDCWD, d, flags);
      if (r == 0) printf("OK\n");
    } else if (line[0] == 'S') {
      int flags;
      if (sscanf(line, "S %d %524287s %524287s %4095s", &flags, a, b, c) != 4) return 2;
      size_t nn = unhex(a, name);
      name[nn] = 0;
      size_t vn = unhex(b, val);
      r = lsetxattr(c, name, val, vn, flags);
      if (r == 0) printf("OK\n");
    } else if (line[0] == 'G' || line[0] == 'X') {
      if (sscanf(line + 1, " %524287s %4095s", a, c) != 2) return 2;
      size_t nn = unhex(a, name);
      name[nn] = 0;
      if (line[0] == 'G') {
        r = lgetxattr(c, name, val, sizeof val);
        if (r >= 0) { printf("OK "); hex(val, r); printf("\n"); }
      } else {
        r = lremovexattr(c, name);
        if (r == 0) printf("OK\n");
      }
    } else if (line[0] == 'L') {
      if (sscanf(line, "L %4095s", c) != 1) return 2;
      r = llistxattr(c, val, sizeof val);
      if (r >= 0) {
        printf("OK ");
        for (long i = 0; i < r; i += strlen(val + i) + 1) { hex(val + i, strlen(val + i)); printf(","); }
        printf("\n");
      }
    } else {
      return 2;
    }
    if (r < 0) printf("%s\n", errname(errno));
    fflush(stdout);
  }
  return 0;
}
