// The session's device I/O (libfuse's fuse_session_custom_io): plain read/writev on the FUSE fd,
// plus two things libfuse 3.14 cannot do for us.
//
// 1. FUSE_HANDLE_KILLPRIV_V2 (kernel protocol 7.33; libfuse has no FUSE_CAP for it before 3.17).
//    Without it the kernel never marks a FUSE inode S_NOSEC, so before EVERY write it asks the
//    server for getxattr("security.capability") (file_remove_privs → cap_inode_need_killpriv):
//    one more round trip per write(2). With it the kernel sets SB_NOSEC (an inode without suid,
//    sgid or a security xattr is asked once) and the server takes over the duty: clear suid/sgid
//    on a write or truncate whose caller lacks CAP_FSETID (the kernel says so: FUSE_WRITE_KILL_
//    SUIDGID, FATTR_KILL_SUIDGID), clear them on chown, and drop security.capability on every
//    write, truncate and chown — src/fuse/adapter.ts does all of it. So: when the kernel's INIT
//    request offers the flag, our INIT reply (written by libfuse) gets it added on its way out.
// 2. Per-request kill flags: libfuse 3.14 drops write_flags and FATTR_KILL_SUIDGID before our
//    ops see the request, so the raw request is read here first and the flag put in the scratch
//    array (kSKillSuidgid: 1 = the kernel's KILL_SUIDGID flag, 2 = an empty SETATTR) for the
//    request about to be processed (one buffer is read and then processed at a time, here).
//
// Layout of requests and replies: <linux/fuse.h> (the kernel's protocol header).
#include <linux/fuse.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "fuse_internal.h"

namespace pmlogfs {

namespace {

constexpr uint32_t kKillprivV2MinMinor = 33;

template <typename T>
const T* Arg(const char* buf, size_t len) {
  if (len < sizeof(fuse_in_header) + sizeof(T)) return nullptr;
  return reinterpret_cast<const T*>(buf + sizeof(fuse_in_header));
}

// Looks at one request before libfuse processes it.
void Tap(Session* s, const char* buf, size_t len) {
  if (len < sizeof(fuse_in_header)) return;
  const auto* h = reinterpret_cast<const fuse_in_header*>(buf);
  double kill = 0;
  if (h->opcode == FUSE_WRITE) {
    const auto* w = Arg<fuse_write_in>(buf, len);
    if (w != nullptr && (w->write_flags & FUSE_WRITE_KILL_SUIDGID) != 0) kill = 1;
  } else if (h->opcode == FUSE_SETATTR) {
    // An empty SETATTR is the kernel's file_remove_privs before a write to a suid/sgid file
    // (notify_change with only ATTR_KILL_*, which the protocol does not carry): 2, so the
    // adapter clears the bits in its reply and the kernel's cached mode is right at once.
    const auto* a = Arg<fuse_setattr_in>(buf, len);
    if (a != nullptr && (a->valid & FATTR_KILL_SUIDGID) != 0) kill = 1;
    else if (a != nullptr && a->valid == 0) kill = 2;
  } else if (h->opcode == FUSE_INIT) {
    const auto* in = Arg<fuse_init_in>(buf, len);
    if (in != nullptr && in->major == 7 && in->minor >= kKillprivV2MinMinor && (in->flags & FUSE_HANDLE_KILLPRIV_V2) != 0) {
      s->init_unique = h->unique;
    }
  }
  if (g_scratch != nullptr) g_scratch[kSKillSuidgid] = kill;
}

ssize_t IoRead(int fd, void* buf, size_t len, void* userdata) {
  ssize_t n = read(fd, buf, len);
  if (n > 0) Tap(static_cast<Session*>(userdata), static_cast<const char*>(buf), size_t(n));
  return n;
}

// The INIT reply: libfuse writes [fuse_out_header, fuse_init_out (possibly a shorter, older
// size)]; add FUSE_HANDLE_KILLPRIV_V2 to its flags when the kernel offered it.
ssize_t IoWritev(int fd, struct iovec* iov, int count, void* userdata) {
  Session* s = static_cast<Session*>(userdata);
  if (s->init_unique != 0 && count == 2 && iov[0].iov_len == sizeof(fuse_out_header)) {
    const auto* out = static_cast<const fuse_out_header*>(iov[0].iov_base);
    if (out->unique == s->init_unique) {
      s->init_unique = 0;
      if (out->error == 0 && iov[1].iov_len >= offsetof(fuse_init_out, flags) + sizeof(uint32_t)) {
        std::vector<char> body(static_cast<const char*>(iov[1].iov_base),
                               static_cast<const char*>(iov[1].iov_base) + iov[1].iov_len);
        uint32_t flags;
        std::memcpy(&flags, body.data() + offsetof(fuse_init_out, flags), sizeof flags);
        flags |= FUSE_HANDLE_KILLPRIV_V2;
        std::memcpy(body.data() + offsetof(fuse_init_out, flags), &flags, sizeof flags);
        struct iovec patched[2] = {iov[0], {body.data(), body.size()}};
        ssize_t n = writev(fd, patched, 2);
        if (n >= 0) s->killpriv_v2 = true;
        return n;
      }
    }
  }
  return writev(fd, iov, count);
}

}  // namespace

bool UseSessionIo(Session* s, int fd) {
  static const fuse_custom_io io = {IoWritev, IoRead, nullptr, nullptr};
  return fuse_session_custom_io(s->se, &io, fd) == 0;
}

}  // namespace pmlogfs
