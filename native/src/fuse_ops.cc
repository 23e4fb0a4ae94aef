// The libfuse3 lowlevel ops table: each op hands its request to the JavaScript handler at once,
// synchronously, on the JavaScript thread (see fuse_internal.h for why), with the caller's uid,
// gid, pid and umask in the scratch array. JavaScript answers with the fuseReply* functions,
// inline or later. FORGET and BATCH_FORGET are passed on per inode and answered here (they take
// no reply); FLUSH has nothing to do (every operation is durable at return) and is answered here
// with ENOSYS, which the kernel takes as success for this and every later close of the mount, so it
// never sends FLUSH again (libfuse fuse_lowlevel_ops.flush): one round trip less per close.
//
// Invariants: every request handed to JavaScript is in `outstanding` until one reply takes it; a
// write payload is a zero-copy Buffer over the receive buffer, valid until the reply (if the
// handler returns without replying, the buffer is pinned to the request and a new one is used).
#include <cstring>

#include "fuse_internal.h"

namespace pmlogfs {

namespace {

Session* S(fuse_req_t req) { return static_cast<Session*>(fuse_req_userdata(req)); }

napi_value Name(napi_env env, const char* name) {
  napi_value v;
  napi_create_buffer_copy(env, strlen(name), name, nullptr, &v);
  return v;
}

void SetCaller(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  g_scratch[kSUid] = c->uid;
  g_scratch[kSGid] = c->gid;
  g_scratch[kSPid] = c->pid;
  g_scratch[kSUmask] = c->umask;
}

// Reports a JavaScript exception that escaped the handler: that is a bug in the adapter (which
// catches every operating error), so it goes to process 'uncaughtException' (which stops the
// process). The request, if still unanswered, gets EIO so the caller is not left hanging.
void EscapedException(Session* s, fuse_req_t req) {
  napi_value err;
  napi_get_and_clear_last_exception(s->env, &err);
  if (req != nullptr && TakeRequest(s, req)) fuse_reply_err(req, EIO);
  napi_fatal_exception(s->env, err);
}

// Calls handler(op, req, args...) synchronously. `req` is null for FORGET (no reply).
void Call(Session* s, fuse_req_t req, int op, std::initializer_list<napi_value> args) {
  napi_env env = s->env;
  napi_value argv[8];
  size_t argc = 0;
  argv[argc++] = Num(env, op);
  argv[argc++] = Num(env, req ? static_cast<double>(reinterpret_cast<uintptr_t>(req)) : 0);
  for (napi_value a : args) argv[argc++] = a;
  napi_value fn, undef, result;
  napi_get_reference_value(env, s->handler, &fn);
  napi_get_undefined(env, &undef);
  if (req != nullptr) {
    SetCaller(req);
    s->outstanding.insert(req);
  }
  s->current = req;
  napi_status st = napi_call_function(env, undef, fn, argc, argv, &result);
  s->current = nullptr;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (st != napi_ok || pending) {
    if (pending) EscapedException(s, req);
    else if (req != nullptr && TakeRequest(s, req)) fuse_reply_err(req, EIO);
  }
  // A write answered later keeps its payload: hand the receive buffer to the request.
  if (s->current_is_write) {
    s->current_is_write = false;
    if (req != nullptr && s->outstanding.count(req) != 0 && s->buf.mem != nullptr) {
      s->pinned[req] = s->buf.mem;
      s->buf.mem = nullptr;  // libfuse allocates a fresh one at the next receive
    }
  }
}

// Every op body runs inside its own handle scope (a drain may serve many requests).
struct Scope {
  napi_env env;
  napi_handle_scope scope;
  explicit Scope(napi_env e) : env(e) { napi_open_handle_scope(env, &scope); }
  ~Scope() { napi_close_handle_scope(env, scope); }
};

#define OPEN_SCOPE(req)   \
  Session* s = S(req);    \
  napi_env env = s->env;  \
  Scope scope_(env)

double D(uint64_t v) { return static_cast<double>(v); }

void OpInit(void* userdata, fuse_conn_info* conn) {
  Session* s = static_cast<Session*>(userdata);
  // Writes as large as the kernel allows (libfuse turns max_write into max_pages).
  conn->max_write = s->max_write;
  conn->max_read = 0;
  conn->max_readahead = conn->max_readahead > (1u << 20) ? (1u << 20) : conn->max_readahead;
  // The kernel applies the umask itself; the adapter applies it again (idempotent).
  conn->want &= ~FUSE_CAP_DONT_MASK;
  if (s->writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE)) conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  else conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  conn->want &= ~FUSE_CAP_SPLICE_READ;  // requests are read into memory (zero-copy write Buffers)
  // No atomic O_TRUNC (libfuse asks for it by default): the kernel then truncates with a SETATTR
  // of size 0 instead of leaving it to OPEN — which we answer ENOSYS and the kernel stops sending,
  // so with it `echo x > file` would never truncate.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  conn->time_gran = 1;                  // nanosecond timestamps
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  OPEN_SCOPE(req);
  Call(s, req, kOpLookup, {Num(env, D(parent)), Name(env, name)});
}

void ForgetOne(Session* s, fuse_ino_t ino, uint64_t nlookup) {
  Scope scope_(s->env);
  Call(s, nullptr, kOpForget, {Num(s->env, D(ino)), Num(s->env, D(nlookup))});
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  ForgetOne(S(req), ino, nlookup);
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Session* s = S(req);
  for (size_t i = 0; i < count; i++) ForgetOne(s, forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpGetattr, {Num(env, D(ino))});
}

// setattr: the new values travel in the scratch attr block; `valid` says which (FUSE_SET_ATTR_*).
void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* a, int valid, fuse_file_info*) {
  OPEN_SCOPE(req);
  double* at = g_scratch + kSAttr;
  at[kAMode] = a->st_mode;
  at[kAUid] = a->st_uid;
  at[kAGid] = a->st_gid;
  at[kASize] = static_cast<double>(a->st_size);
  at[kAAtimeS] = static_cast<double>(a->st_atim.tv_sec);
  at[kAAtimeNs] = static_cast<double>(a->st_atim.tv_nsec);
  at[kAMtimeS] = static_cast<double>(a->st_mtim.tv_sec);
  at[kAMtimeNs] = static_cast<double>(a->st_mtim.tv_nsec);
  at[kACtimeS] = static_cast<double>(a->st_ctim.tv_sec);
  at[kACtimeNs] = static_cast<double>(a->st_ctim.tv_nsec);
  Call(s, req, kOpSetattr, {Num(env, D(ino)), Num(env, valid)});
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  OPEN_SCOPE(req);
  Call(s, req, kOpReadlink, {Num(env, D(ino))});
}

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  OPEN_SCOPE(req);
  Call(s, req, kOpMknod, {Num(env, D(parent)), Name(env, name), Num(env, mode), Num(env, D(rdev))});
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  OPEN_SCOPE(req);
  Call(s, req, kOpMkdir, {Num(env, D(parent)), Name(env, name), Num(env, mode)});
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  OPEN_SCOPE(req);
  Call(s, req, kOpUnlink, {Num(env, D(parent)), Name(env, name)});
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  OPEN_SCOPE(req);
  Call(s, req, kOpRmdir, {Num(env, D(parent)), Name(env, name)});
}

void OpSymlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  OPEN_SCOPE(req);
  Call(s, req, kOpSymlink, {Num(env, D(parent)), Name(env, name), Name(env, link)});
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags) {
  OPEN_SCOPE(req);
  Call(s, req, kOpRename,
       {Num(env, D(parent)), Name(env, name), Num(env, D(newparent)), Name(env, newname), Num(env, flags)});
}

void OpLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  OPEN_SCOPE(req);
  Call(s, req, kOpLink, {Num(env, D(ino)), Num(env, D(newparent)), Name(env, newname)});
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  Call(s, req, kOpOpen, {Num(env, D(ino)), Num(env, fi->flags)});
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  Call(s, req, kOpRead, {Num(env, D(ino)), Num(env, D(size)), Num(env, static_cast<double>(off)), Num(env, D(fi->fh))});
}

void OpWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  napi_value data;
  // Zero-copy view of the payload inside the receive buffer (valid until the reply).
  napi_create_external_buffer(env, size, const_cast<char*>(buf), nullptr, nullptr, &data);
  s->current_is_write = true;
  Call(s, req, kOpWrite, {Num(env, D(ino)), data, Num(env, static_cast<double>(off)), Num(env, D(fi->fh))});
}

void OpFlush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, ENOSYS); }

void OpRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  Call(s, req, kOpRelease, {Num(env, D(ino)), Num(env, D(fi->fh))});
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpFsync, {Num(env, D(ino)), Num(env, datasync)});
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  Call(s, req, kOpOpendir, {Num(env, D(ino)), Num(env, fi->flags)});
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpReaddir, {Num(env, D(ino)), Num(env, D(size)), Num(env, static_cast<double>(off))});
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpReaddirplus, {Num(env, D(ino)), Num(env, D(size)), Num(env, static_cast<double>(off))});
}

void OpReleasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  Call(s, req, kOpReleasedir, {Num(env, D(ino)), Num(env, D(fi->fh))});
}

void OpFsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpFsyncdir, {Num(env, D(ino)), Num(env, datasync)});
}

void OpStatfs(fuse_req_t req, fuse_ino_t ino) {
  OPEN_SCOPE(req);
  Call(s, req, kOpStatfs, {Num(env, D(ino))});
}

void OpSetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  OPEN_SCOPE(req);
  napi_value v;
  napi_create_buffer_copy(env, size, value, nullptr, &v);
  Call(s, req, kOpSetxattr, {Num(env, D(ino)), Name(env, name), v, Num(env, flags)});
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  OPEN_SCOPE(req);
  Call(s, req, kOpGetxattr, {Num(env, D(ino)), Name(env, name), Num(env, D(size))});
}

void OpListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  OPEN_SCOPE(req);
  Call(s, req, kOpListxattr, {Num(env, D(ino)), Num(env, D(size))});
}

void OpRemovexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  OPEN_SCOPE(req);
  Call(s, req, kOpRemovexattr, {Num(env, D(ino)), Name(env, name)});
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  OPEN_SCOPE(req);
  Call(s, req, kOpCreate, {Num(env, D(parent)), Name(env, name), Num(env, mode), Num(env, fi->flags)});
}

void OpFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpFallocate,
       {Num(env, D(ino)), Num(env, mode), Num(env, static_cast<double>(offset)), Num(env, static_cast<double>(length))});
}

void OpLseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info*) {
  OPEN_SCOPE(req);
  Call(s, req, kOpLseek, {Num(env, D(ino)), Num(env, static_cast<double>(off)), Num(env, whence)});
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops o;
  memset(&o, 0, sizeof o);
  o.init = OpInit;
  o.lookup = OpLookup;
  o.forget = OpForget;
  o.forget_multi = OpForgetMulti;
  o.getattr = OpGetattr;
  o.setattr = OpSetattr;
  o.readlink = OpReadlink;
  o.mknod = OpMknod;
  o.mkdir = OpMkdir;
  o.unlink = OpUnlink;
  o.rmdir = OpRmdir;
  o.symlink = OpSymlink;
  o.rename = OpRename;
  o.link = OpLink;
  o.open = OpOpen;
  o.read = OpRead;
  o.write = OpWrite;
  o.flush = OpFlush;
  o.release = OpRelease;
  o.fsync = OpFsync;
  o.opendir = OpOpendir;
  o.readdir = OpReaddir;
  o.readdirplus = OpReaddirplus;
  o.releasedir = OpReleasedir;
  o.fsyncdir = OpFsyncdir;
  o.statfs = OpStatfs;
  o.setxattr = OpSetxattr;
  o.getxattr = OpGetxattr;
  o.listxattr = OpListxattr;
  o.removexattr = OpRemovexattr;
  o.create = OpCreate;
  o.fallocate = OpFallocate;
  o.lseek = OpLseek;
  return o;
}

}  // namespace

const fuse_lowlevel_ops* FuseOps() {
  static const fuse_lowlevel_ops ops = MakeOps();
  return &ops;
}

bool TakeRequest(Session* s, fuse_req_t req) {
  if (s->outstanding.erase(req) == 0) return false;
  auto p = s->pinned.find(req);
  if (p != s->pinned.end()) {
    free(p->second);
    s->pinned.erase(p);
  }
  s->dirbufs.erase(req);
  return true;
}

}  // namespace pmlogfs
