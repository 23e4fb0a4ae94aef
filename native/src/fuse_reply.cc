// Replies from JavaScript to FUSE requests: fuseReply*(req, ...). Each takes the request out of
// the session's outstanding set first, so a bogus or second reply throws instead of crashing.
// Attributes, entries and statfs come from the scratch Float64Array (see fuse_internal.h).
// Read data is sent straight from the PM mapping: a list of (region offset, length) segments,
// runs of zeros, or JavaScript Buffers, passed to the kernel as one writev (fuse_reply_iov):
// no copy through JavaScript and none in C++ either.
#include <sys/uio.h>

#include <cmath>
#include <cstring>

#include "fuse_internal.h"
#include "mapping.h"

namespace pmlogfs {

namespace {

constexpr size_t kZeroBytes = size_t(1) << 20;
const char* Zeros() {
  static const char* z = static_cast<const char*>(calloc(1, kZeroBytes));
  return z;
}

void FillStat(struct stat* st) {
  const double* a = g_scratch + kSAttr;
  memset(st, 0, sizeof *st);
  st->st_ino = static_cast<ino_t>(a[kAIno]);
  st->st_mode = static_cast<mode_t>(a[kAMode]);
  st->st_nlink = static_cast<nlink_t>(a[kANlink]);
  st->st_uid = static_cast<uid_t>(a[kAUid]);
  st->st_gid = static_cast<gid_t>(a[kAGid]);
  st->st_rdev = static_cast<dev_t>(a[kARdev]);
  st->st_size = static_cast<off_t>(a[kASize]);
  st->st_blocks = static_cast<blkcnt_t>(a[kABlocks]);
  st->st_blksize = static_cast<blksize_t>(a[kABlksize]);
  st->st_atim.tv_sec = static_cast<time_t>(a[kAAtimeS]);
  st->st_atim.tv_nsec = static_cast<long>(a[kAAtimeNs]);
  st->st_mtim.tv_sec = static_cast<time_t>(a[kAMtimeS]);
  st->st_mtim.tv_nsec = static_cast<long>(a[kAMtimeNs]);
  st->st_ctim.tv_sec = static_cast<time_t>(a[kACtimeS]);
  st->st_ctim.tv_nsec = static_cast<long>(a[kACtimeNs]);
}

void FillEntry(fuse_entry_param* e) {
  memset(e, 0, sizeof *e);
  FillStat(&e->attr);
  e->ino = e->attr.st_ino;
  e->generation = static_cast<uint64_t>(g_scratch[kSAttr + kAGeneration]);
  e->entry_timeout = g_scratch[kSEntryTimeout];
  e->attr_timeout = g_scratch[kSAttrTimeout];
}

double ArgD(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

bool ArgBytes(napi_env env, napi_value v, char** data, size_t* len) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return false;
  napi_typedarray_type t;
  void* p = nullptr;
  napi_value ab;
  size_t off = 0;
  napi_get_typedarray_info(env, v, &t, len, &p, &ab, &off);
  if (t != napi_uint8_array) return false;
  *data = static_cast<char*>(p);
  return true;
}

// Most replies: (req, ...) → take the request; unknown request throws.
#define TAKE(n)                                         \
  napi_value argv[n];                                   \
  GetArgs(env, info, n, argv);                         \
  Session* s = nullptr;                                 \
  fuse_req_t req = ReqArg(env, argv[0], &s);            \
  if (req == nullptr) return nullptr;

napi_value ReplyErr(napi_env env, napi_callback_info info) {
  TAKE(2);
  int err = static_cast<int>(ArgD(env, argv[1]));
  TakeRequest(s, req);
  fuse_reply_err(req, err);
  return nullptr;
}

napi_value ReplyEntry(napi_env env, napi_callback_info info) {
  TAKE(1);
  fuse_entry_param e;
  FillEntry(&e);
  TakeRequest(s, req);
  fuse_reply_entry(req, &e);
  return nullptr;
}

napi_value ReplyAttr(napi_env env, napi_callback_info info) {
  TAKE(1);
  struct stat st;
  FillStat(&st);
  TakeRequest(s, req);
  fuse_reply_attr(req, &st, g_scratch[kSAttrTimeout]);
  return nullptr;
}

// openFlags: bit 0 direct_io, bit 1 keep_cache, bit 2 nonseekable.
void FillOpen(napi_env env, napi_value fh, napi_value flags, fuse_file_info* fi) {
  memset(fi, 0, sizeof *fi);
  fi->fh = static_cast<uint64_t>(ArgD(env, fh));
  int f = static_cast<int>(ArgD(env, flags));
  fi->direct_io = (f & 1) != 0;
  fi->keep_cache = (f & 2) != 0;
  fi->nonseekable = (f & 4) != 0;
}

napi_value ReplyCreate(napi_env env, napi_callback_info info) {
  TAKE(3);
  fuse_entry_param e;
  FillEntry(&e);
  fuse_file_info fi;
  FillOpen(env, argv[1], argv[2], &fi);
  TakeRequest(s, req);
  fuse_reply_create(req, &e, &fi);
  return nullptr;
}

napi_value ReplyOpen(napi_env env, napi_callback_info info) {
  TAKE(3);
  fuse_file_info fi;
  FillOpen(env, argv[1], argv[2], &fi);
  TakeRequest(s, req);
  fuse_reply_open(req, &fi);
  return nullptr;
}

napi_value ReplyWrite(napi_env env, napi_callback_info info) {
  TAKE(2);
  size_t n = static_cast<size_t>(ArgD(env, argv[1]));
  TakeRequest(s, req);
  fuse_reply_write(req, n);
  return nullptr;
}

napi_value ReplyBuf(napi_env env, napi_callback_info info) {
  TAKE(2);
  char* data = nullptr;
  size_t len = 0;
  if (!ArgBytes(env, argv[1], &data, &len)) {
    FuseThrow(env, "EINVAL", "fuseReplyBuf: data must be a Uint8Array");
    return nullptr;
  }
  TakeRequest(s, req);
  fuse_reply_buf(req, data, len);
  return nullptr;
}

napi_value ReplyReadlink(napi_env env, napi_callback_info info) {
  TAKE(2);
  char* data = nullptr;
  size_t len = 0;
  if (!ArgBytes(env, argv[1], &data, &len)) {
    FuseThrow(env, "EINVAL", "fuseReplyReadlink: target must be a Uint8Array");
    return nullptr;
  }
  std::string target(data, len);
  TakeRequest(s, req);
  fuse_reply_readlink(req, target.c_str());
  return nullptr;
}

// fuseReplyData(req, mappingId, items): items is an array where a number pair (offset, length)
// is a range of the mapping, (-1, length) a run of zeros, and a Uint8Array literal bytes.
napi_value ReplyData(napi_env env, napi_callback_info info) {
  TAKE(3);
  uint32_t id = 0;
  napi_get_value_uint32(env, argv[1], &id);
  uint32_t n = 0;
  napi_get_array_length(env, argv[2], &n);
  Mapping* m = id != 0 ? GetMapping(id) : nullptr;
  std::vector<iovec> iov;
  iov.reserve(n / 2 + 1);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, argv[2], i, &item);
    char* data = nullptr;
    size_t len = 0;
    if (ArgBytes(env, item, &data, &len)) {
      if (len) iov.push_back({data, len});
      continue;
    }
    napi_value lenv;
    if (i + 1 >= n || napi_get_element(env, argv[2], ++i, &lenv) != napi_ok) {
      FuseThrow(env, "EINVAL", "fuseReplyData: a segment offset without its length");
      return nullptr;
    }
    double off = ArgD(env, item), l = ArgD(env, lenv);
    if (!(l >= 0) || std::floor(l) != l) {
      FuseThrow(env, "EINVAL", "fuseReplyData: bad segment length");
      return nullptr;
    }
    size_t length = static_cast<size_t>(l);
    if (off < 0) {
      for (size_t done = 0; done < length;) {
        size_t k = std::min(kZeroBytes, length - done);
        iov.push_back({const_cast<char*>(Zeros()), k});
        done += k;
      }
      continue;
    }
    if (m == nullptr || !(off >= 0) || std::floor(off) != off || static_cast<size_t>(off) > m->length ||
        length > m->length - static_cast<size_t>(off)) {
      FuseThrow(env, "ERANGE", "fuseReplyData: segment outside the mapping (or no mapping)");
      return nullptr;
    }
    if (length) iov.push_back({m->base + static_cast<size_t>(off), length});
  }
  TakeRequest(s, req);
  if (iov.size() <= 512) {
    fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
  } else {  // beyond what one writev should carry: gather once
    std::vector<char> all;
    for (const iovec& v : iov) all.insert(all.end(), static_cast<char*>(v.iov_base), static_cast<char*>(v.iov_base) + v.iov_len);
    fuse_reply_buf(req, all.data(), all.size());
  }
  return nullptr;
}

napi_value ReplyStatfs(napi_env env, napi_callback_info info) {
  TAKE(1);
  const double* a = g_scratch + kSAttr;
  struct statvfs sv;
  memset(&sv, 0, sizeof sv);
  sv.f_bsize = static_cast<unsigned long>(a[0]);
  sv.f_frsize = static_cast<unsigned long>(a[1]);
  sv.f_blocks = static_cast<fsblkcnt_t>(a[2]);
  sv.f_bfree = static_cast<fsblkcnt_t>(a[3]);
  sv.f_bavail = static_cast<fsblkcnt_t>(a[4]);
  sv.f_files = static_cast<fsfilcnt_t>(a[5]);
  sv.f_ffree = static_cast<fsfilcnt_t>(a[6]);
  sv.f_favail = static_cast<fsfilcnt_t>(a[7]);
  sv.f_namemax = static_cast<unsigned long>(a[8]);
  TakeRequest(s, req);
  fuse_reply_statfs(req, &sv);
  return nullptr;
}

napi_value ReplyXattr(napi_env env, napi_callback_info info) {
  TAKE(2);
  size_t n = static_cast<size_t>(ArgD(env, argv[1]));
  TakeRequest(s, req);
  fuse_reply_xattr(req, n);
  return nullptr;
}

napi_value ReplyLseek(napi_env env, napi_callback_info info) {
  TAKE(2);
  off_t off = static_cast<off_t>(ArgD(env, argv[1]));
  TakeRequest(s, req);
  fuse_reply_lseek(req, off);
  return nullptr;
}

// fuseDirAdd(req, size, name, ino, type, nextOff, plus): appends one entry to the reply being
// built (plus: with the scratch attr block as its entry); false when it does not fit in `size`.
napi_value DirAdd(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  GetArgs(env, info, 7, argv);
  Session* s = nullptr;
  fuse_req_t req = ReqArg(env, argv[0], &s);
  if (req == nullptr) return nullptr;
  size_t size = static_cast<size_t>(ArgD(env, argv[1]));
  char* name = nullptr;
  size_t nlen = 0;
  if (!ArgBytes(env, argv[2], &name, &nlen)) {
    FuseThrow(env, "EINVAL", "fuseDirAdd: name must be a Uint8Array");
    return nullptr;
  }
  std::string nm(name, nlen);
  off_t next = static_cast<off_t>(ArgD(env, argv[5]));
  bool plus = false;
  napi_get_value_bool(env, argv[6], &plus);
  std::vector<char>& b = s->dirbufs[req];
  size_t used = b.size();
  size_t need;
  if (plus) {
    fuse_entry_param e;
    FillEntry(&e);
    need = fuse_add_direntry_plus(req, nullptr, 0, nm.c_str(), &e, next);
    if (used + need > size) {
      napi_value f;
      napi_get_boolean(env, false, &f);
      return f;
    }
    b.resize(used + need);
    fuse_add_direntry_plus(req, b.data() + used, need, nm.c_str(), &e, next);
  } else {
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_ino = static_cast<ino_t>(ArgD(env, argv[3]));
    st.st_mode = static_cast<mode_t>(ArgD(env, argv[4]));
    need = fuse_add_direntry(req, nullptr, 0, nm.c_str(), &st, next);
    if (used + need > size) {
      napi_value f;
      napi_get_boolean(env, false, &f);
      return f;
    }
    b.resize(used + need);
    fuse_add_direntry(req, b.data() + used, need, nm.c_str(), &st, next);
  }
  napi_value t;
  napi_get_boolean(env, true, &t);
  return t;
}

// fuseDirReply(req): sends the entries built so far (none = end of directory).
napi_value DirReply(napi_env env, napi_callback_info info) {
  TAKE(1);
  std::vector<char> b;
  auto it = s->dirbufs.find(req);
  if (it != s->dirbufs.end()) b.swap(it->second);
  TakeRequest(s, req);
  fuse_reply_buf(req, b.data(), b.size());
  return nullptr;
}

}  // namespace

void InitFuseReplies(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {
      {"fuseReplyErr", ReplyErr},       {"fuseReplyEntry", ReplyEntry},
      {"fuseReplyAttr", ReplyAttr},     {"fuseReplyCreate", ReplyCreate},
      {"fuseReplyOpen", ReplyOpen},     {"fuseReplyWrite", ReplyWrite},
      {"fuseReplyBuf", ReplyBuf},       {"fuseReplyReadlink", ReplyReadlink},
      {"fuseReplyData", ReplyData},     {"fuseReplyStatfs", ReplyStatfs},
      {"fuseReplyXattr", ReplyXattr},   {"fuseReplyLseek", ReplyLseek},
      {"fuseDirAdd", DirAdd},           {"fuseDirReply", DirReply},
  };
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
}

}  // namespace pmlogfs
