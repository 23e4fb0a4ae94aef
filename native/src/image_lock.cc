// An exclusive (or shared) advisory lock on an image, so mount and fsck refuse an image that is
// already in use: lockPath(path, exclusive) opens the path and takes flock(LOCK_EX|LOCK_NB) (or
// LOCK_SH); a lock held elsewhere (another process, or another open of the same path in this
// one) throws an Error with code 'EBUSY'. Returns a handle for unlockPath(handle), which
// releases and closes it. Only handles issued here are accepted.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include "pmem_internal.h"

namespace pmlogfs {

static std::set<int> g_locks;

static napi_value LockPath(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GetArgs(env, info, 2, argv);
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &n) != napi_ok || n == 0) {
    ThrowCode(env, "EINVAL", "pmlogfs native: lockPath needs a path");
    return nullptr;
  }
  std::string path(n + 1, '\0');
  napi_get_value_string_utf8(env, argv[0], path.data(), n + 1, &n);
  path.resize(n);
  bool exclusive = true;
  napi_get_value_bool(env, argv[1], &exclusive);

  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    std::string m = "pmlogfs: cannot open " + path + " to lock it: " + std::strerror(e);
    ThrowCode(env, e == ENOENT ? "ENOENT" : e == EACCES ? "EACCES" : "EIO", m.c_str());
    return nullptr;
  }
  if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK) {
      std::string m = "pmlogfs: " + path + " is in use (locked by a mount, fsck or mkfs); refusing to " +
                      (exclusive ? "take it" : "share it");
      ThrowCode(env, "EBUSY", m.c_str());
    } else {
      std::string m = "pmlogfs: cannot lock " + path + ": " + std::strerror(e);
      ThrowCode(env, "EIO", m.c_str());
    }
    return nullptr;
  }
  g_locks.insert(fd);
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
}

static napi_value UnlockPath(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  GetArgs(env, info, 1, argv);
  int32_t fd = -1;
  napi_get_value_int32(env, argv[0], &fd);
  if (g_locks.erase(fd) == 0) {
    ThrowCode(env, "EBADF", "pmlogfs native: unlockPath with a handle that is not a held lock");
    return nullptr;
  }
  flock(fd, LOCK_UN);
  close(fd);
  return nullptr;
}

void InitImageLock(napi_env env, napi_value exports) {
  Export(env, exports, "lockPath", LockPath);
  Export(env, exports, "unlockPath", UnlockPath);
}

}  // namespace pmlogfs
