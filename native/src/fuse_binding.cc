// The libfuse3 lowlevel binding: session creation and mount, the request loop, unmount.
// Files: fuse_internal.h (state, codes, scratch layout), fuse_ops.cc (requests → JavaScript),
// fuse_reply.cc (JavaScript → replies). No file-system logic lives here.
//
// Why the loop runs on the JavaScript thread (DESIGN.md "The FUSE path"): a request passed from a
// native loop thread to JavaScript pays a thread wake-up each way (~124 µs per 4 KiB write+fsync
// measured with a do-nothing file system). Here the FUSE device fd, made non-blocking, is polled
// by the main libuv loop (uv_poll); one wake-up reads and serves every pending request
// (fuse_session_receive_buf + fuse_session_process_buf until EAGAIN), each handed synchronously
// to the JavaScript handler, which calls the core and replies inline. The JS loop never blocks:
// reads of the device never wait, and the core's calls are synchronous and short. A drain serves
// at most kMaxPerWakeup requests before yielding so timers and signals still run (the poll is
// level-triggered and fires again at once). After the device runs dry it keeps polling for
// spin_us (default 50 µs, `-o spin_us=`) before sleeping: on an idle (virtual) CPU an epoll
// wake-up costs ~100 µs, and a synchronous caller's next request usually comes within that time
// (4 KiB write+fsync p50, do-nothing file system, quiet 2-vCPU VM: 141 µs without, 48 µs with).
//
// Exports: fuseMount(mountpoint, options, maxWrite, writebackCache, handler, onExit, spinMicros),
// fuseUnmount(), fuseScratch() (the shared Float64Array), fuseKillprivV2(), and fuseReply*.
// The device is read and written through fuse_io.cc (FUSE_HANDLE_KILLPRIV_V2, per-request flags).
// One mount per process.
#include <fcntl.h>
#include <unistd.h>

#include <time.h>

#include <cerrno>
#include <cstring>

#include "addon.h"
#include "fuse_internal.h"

namespace pmlogfs {

double* g_scratch = nullptr;
napi_ref g_scratch_ref = nullptr;

namespace {

constexpr int kMaxPerWakeup = 256;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Session* g_session = nullptr;  // live session, or null
napi_ref g_resource = nullptr;  // async resource object for the callback scope
napi_async_context g_async = nullptr;

void Ended(Session* s) {
  if (s->exited) return;
  s->exited = true;
  if (s->polling) {
    uv_poll_stop(&s->poll);
  }
  if (s->on_exit != nullptr) {
    napi_value fn, undef, r;
    napi_get_reference_value(s->env, s->on_exit, &fn);
    napi_get_undefined(s->env, &undef);
    if (napi_call_function(s->env, undef, fn, 0, nullptr, &r) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(s->env, &pending);
      if (pending) {
        napi_value err;
        napi_get_and_clear_last_exception(s->env, &err);
        napi_fatal_exception(s->env, err);
      }
    }
  }
}

// One wake-up: drain the device (bounded), all under one handle scope and one callback scope,
// so JavaScript's microtasks and nextTick queue run once per wake-up, not per request.
void OnReadable(uv_poll_t* h, int status, int) {
  Session* s = static_cast<Session*>(h->data);
  if (s == nullptr || s->exited) return;
  napi_env env = s->env;
  napi_handle_scope hs;
  napi_open_handle_scope(env, &hs);
  napi_value resource;
  napi_get_reference_value(env, g_resource, &resource);
  napi_callback_scope cs;
  napi_open_callback_scope(env, resource, g_async, &cs);
  if (status < 0) {
    Ended(s);
  } else {
    int64_t deadline = 0;  // spinning: until when (0: not yet)
    for (int i = 0; i < kMaxPerWakeup && !s->exited; i++) {
      int res = fuse_session_receive_buf(s->se, &s->buf);
      if (res == -EINTR) continue;
      if (res == -EAGAIN) {
        // Nothing pending. Waking this thread from epoll costs far more than a request on an
        // idle (virtual) CPU, and a synchronous caller sends its next request microseconds after
        // our reply: keep polling for spin_us before going back to sleep (bounded; 0 = off).
        if (s->spin_us == 0) break;
        int64_t now = NowNs();
        if (deadline == 0) deadline = now + int64_t(s->spin_us) * 1000;
        if (now >= deadline) break;
        i--;  // a spin is not a request
        continue;
      }
      deadline = 0;
      if (res <= 0 || fuse_session_exited(s->se)) {  // 0: the kernel ended the session (umount)
        Ended(s);
        break;
      }
      fuse_session_process_buf(s->se, &s->buf);
      if (fuse_session_exited(s->se)) {
        Ended(s);
        break;
      }
    }
  }
  napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
}

std::string StrArg(napi_env env, napi_value v) {
  size_t len = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &len);
  std::string out(len, '\0');
  napi_get_value_string_utf8(env, v, &out[0], len + 1, &len);
  return out;
}

void DestroySession(Session* s) {
  if (s->polling) {
    uv_poll_stop(&s->poll);
    s->polling = false;
    // The Session outlives the handle: freed in the close callback.
    uv_close(reinterpret_cast<uv_handle_t*>(&s->poll), [](uv_handle_t* h) {
      Session* dead = static_cast<Session*>(h->data);
      delete dead;
    });
  }
  if (s->se != nullptr) {
    if (s->mounted) fuse_session_unmount(s->se);
    s->mounted = false;
    fuse_session_destroy(s->se);
    s->se = nullptr;
  }
  for (auto& p : s->pinned) free(p.second);
  s->pinned.clear();
  free(s->buf.mem);
  s->buf.mem = nullptr;
  if (s->handler) napi_delete_reference(s->env, s->handler);
  if (s->on_exit) napi_delete_reference(s->env, s->on_exit);
  s->handler = s->on_exit = nullptr;
}

// fuseMount(mountpoint, options, maxWrite, writebackCache, handler, onExit, spinMicros)
//   options: the libfuse -o string (allow_other,default_permissions,fsname=...,subtype=...,ro).
napi_value Mount(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  GetArgs(env, info, 7, argv);
  if (g_session != nullptr) {
    FuseThrow(env, "EBUSY", "fuseMount: this process already serves a mount");
    return nullptr;
  }
  std::string mnt = StrArg(env, argv[0]);
  std::string opts = StrArg(env, argv[1]);
  double maxWrite = 0;
  napi_get_value_double(env, argv[2], &maxWrite);
  bool wb = false;
  napi_get_value_bool(env, argv[3], &wb);

  Session* s = new Session();
  s->env = env;
  s->mountpoint = mnt;
  if (maxWrite >= 4096 && maxWrite <= (1 << 20)) s->max_write = static_cast<unsigned>(maxWrite);
  s->writeback_cache = wb;
  double spin = 0;
  if (napi_get_value_double(env, argv[6], &spin) == napi_ok && spin > 0 && spin <= 10000) s->spin_us = unsigned(spin);
  napi_create_reference(env, argv[4], 1, &s->handler);
  napi_create_reference(env, argv[5], 1, &s->on_exit);

  const char* fargv[] = {"pmlogfs", "-o", opts.c_str()};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(fargv));
  s->se = fuse_session_new(&args, FuseOps(), sizeof(fuse_lowlevel_ops), s);
  if (s->se == nullptr) {
    DestroySession(s);
    delete s;
    FuseThrow(env, "EINVAL", "fuse_session_new failed (bad mount options: " + opts + ")");
    return nullptr;
  }
  if (fuse_session_mount(s->se, mnt.c_str()) != 0) {
    DestroySession(s);
    delete s;
    FuseThrow(env, "EIO", "fuse_session_mount failed on " + mnt + " (see the message above)");
    return nullptr;
  }
  s->mounted = true;
  int fd = fuse_session_fd(s->se);
  if (!UseSessionIo(s, fd)) {
    DestroySession(s);
    delete s;
    FuseThrow(env, "EIO", "fuse_session_custom_io failed on " + mnt);
    return nullptr;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &s->poll, fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, OnReadable);
  s->polling = true;
  g_session = s;
  return nullptr;
}

// fuseUnmount(): stops serving, unmounts (if still mounted) and frees the session. Idempotent.
napi_value Unmount(napi_env, napi_callback_info) {
  Session* s = g_session;
  if (s == nullptr) return nullptr;
  g_session = nullptr;
  s->exited = true;
  bool had_poll = s->polling;
  DestroySession(s);
  if (!had_poll) delete s;
  return nullptr;
}

// fuseKillprivV2(): true once the kernel accepted FUSE_HANDLE_KILLPRIV_V2 (see fuse_io.cc).
napi_value KillprivV2Fn(napi_env env, napi_callback_info) {
  napi_value v;
  napi_get_boolean(env, g_session != nullptr && g_session->killpriv_v2, &v);
  return v;
}

napi_value ScratchFn(napi_env env, napi_callback_info) {
  napi_value v;
  napi_get_reference_value(env, g_scratch_ref, &v);
  return v;
}

}  // namespace

Session* CurrentSession() { return g_session; }

void FuseThrow(napi_env env, const char* code, const std::string& message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_throw_error(env, code, message.c_str());
}

napi_value Num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

fuse_req_t ReqArg(napi_env env, napi_value v, Session** out) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  fuse_req_t req = reinterpret_cast<fuse_req_t>(static_cast<uintptr_t>(d));
  Session* s = g_session;
  if (s == nullptr || s->outstanding.count(req) == 0) {
    FuseThrow(env, "EINVAL", "fuse reply: unknown or already answered request");
    return nullptr;
  }
  *out = s;
  return req;
}

static void InitFuseRaw(napi_env env, napi_value exports) {
  napi_value ab, arr;
  void* data = nullptr;
  napi_create_arraybuffer(env, kSlots * sizeof(double), &data, &ab);
  napi_create_typedarray(env, napi_float64_array, kSlots, ab, 0, &arr);
  g_scratch = static_cast<double*>(data);
  napi_create_reference(env, arr, 1, &g_scratch_ref);

  napi_value res, name;
  napi_create_object(env, &res);
  napi_create_string_utf8(env, "pmlogfs-fuse", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, res, 1, &g_resource);
  napi_async_init(env, res, name, &g_async);

  const struct {
    const char* name;
    napi_callback fn;
  } fns[] = {{"fuseMount", Mount}, {"fuseUnmount", Unmount}, {"fuseScratch", ScratchFn}, {"fuseKillprivV2", KillprivV2Fn}};
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  InitFuseReplies(env, exports);
}

void InitFuse(Napi::Env env, Napi::Object exports) { InitFuseRaw(env, exports); }

}  // namespace pmlogfs
