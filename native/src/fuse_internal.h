// Internal to the FUSE part of the addon (fuse_*.cc): the session state, the request codes shared
// with src/fuse/native.ts, and the scratch-array layout through which attributes cross to and
// from JavaScript without building objects.
//
// Threading: everything here runs on the JavaScript thread. The FUSE device fd is polled by the
// main libuv loop (uv_poll); each wake-up drains every pending request (non-blocking reads until
// EAGAIN) and calls the JavaScript handler synchronously per request. So a request never waits
// for a thread hand-off (DESIGN.md "The FUSE path"), and several requests may be in flight when
// JavaScript chooses to reply later (replies name the request by its id).
#pragma once
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <node_api.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "napi_args.h"

namespace pmlogfs {

// Request codes: must match OP in src/fuse/native.ts.
enum FuseOp : int {
  kOpLookup = 1, kOpForget = 2, kOpGetattr = 3, kOpSetattr = 4, kOpReadlink = 5, kOpMknod = 6,
  kOpMkdir = 7, kOpUnlink = 8, kOpRmdir = 9, kOpSymlink = 10, kOpRename = 11, kOpLink = 12,
  kOpOpen = 13, kOpRead = 14, kOpWrite = 15, kOpRelease = 16, kOpFsync = 17, kOpOpendir = 18,
  kOpReaddir = 19, kOpReleasedir = 20, kOpFsyncdir = 21, kOpStatfs = 22, kOpSetxattr = 23,
  kOpGetxattr = 24, kOpListxattr = 25, kOpRemovexattr = 26, kOpCreate = 27, kOpFallocate = 28,
  kOpLseek = 29, kOpReaddirplus = 30, kOpInit = 31, kOpDestroy = 32,
};

// Scratch Float64Array slots (must match S in src/fuse/native.ts).
enum Scratch : int {
  kSUid = 0, kSGid = 1, kSPid = 2, kSUmask = 3,  // caller of the current request
  kSKillSuidgid = 4,  // 1: this WRITE/SETATTR must clear suid/sgid; 2: empty SETATTR (fuse_io.cc)
  kSAttr = 8,                                    // attr block: 16 slots, layout below
  kSEntryTimeout = 24, kSAttrTimeout = 25,
  kSlots = 32,
};
// Attr block offsets from kSAttr.
enum AttrSlot : int {
  kAIno = 0, kAMode = 1, kANlink = 2, kAUid = 3, kAGid = 4, kARdev = 5, kASize = 6, kABlocks = 7,
  kABlksize = 8, kAAtimeS = 9, kAAtimeNs = 10, kAMtimeS = 11, kAMtimeNs = 12, kACtimeS = 13,
  kACtimeNs = 14, kAGeneration = 15,
};

struct Session {
  fuse_session* se = nullptr;
  napi_env env = nullptr;
  napi_ref handler = nullptr;   // function(op, req, a, b, c, d, e)
  napi_ref on_exit = nullptr;   // function() once the kernel ends the session (umount)
  uv_poll_t poll;
  bool polling = false;
  bool mounted = false;
  bool exited = false;
  fuse_buf buf{};               // the receive buffer (malloc'd by libfuse, reused)
  std::string mountpoint;
  unsigned max_write = 1u << 20;
  bool writeback_cache = false;
  unsigned spin_us = 0;         // keep polling this long after the device runs dry (0 = off)
  // Requests handed to JavaScript and not yet answered (guards against bogus or double replies).
  std::unordered_set<fuse_req_t> outstanding;
  // Write requests answered later than their handler call: their payload buffer, freed at reply.
  std::unordered_map<fuse_req_t, void*> pinned;
  // readdir replies under construction, per request.
  std::unordered_map<fuse_req_t, std::vector<char>> dirbufs;
  // The request whose handler is running (to pin its write payload if not answered inline).
  fuse_req_t current = nullptr;
  bool current_is_write = false;
  // fuse_io.cc: the unique id of the kernel's INIT request while its reply is due (0: none), and
  // whether FUSE_HANDLE_KILLPRIV_V2 went out in that reply.
  uint64_t init_unique = 0;
  bool killpriv_v2 = false;
};

extern double* g_scratch;      // the scratch Float64Array's data (kSlots doubles)
extern napi_ref g_scratch_ref;

// fuse_ops.cc: the lowlevel ops table (every op calls the handler synchronously).
const fuse_lowlevel_ops* FuseOps();
// Called by every reply: forgets the request, frees a pinned payload. False if unknown.
bool TakeRequest(Session* s, fuse_req_t req);
// fuse_reply.cc: registers fuseReply* on exports.
void InitFuseReplies(napi_env env, napi_value exports);
// fuse_io.cc: makes the session read and write the device through our I/O functions (the INIT
// reply gains FUSE_HANDLE_KILLPRIV_V2; per-request kill flags go to the scratch array).
bool UseSessionIo(Session* s, int fd);
// fuse_binding.cc: the single live session (one mount per process), or nullptr.
Session* CurrentSession();

// Small N-API helpers (fuse_binding.cc).
void FuseThrow(napi_env env, const char* code, const std::string& message);
napi_value Num(napi_env env, double v);
// A request id argument: the pointer carried as a double; nullptr (JS error pending) if unknown.
fuse_req_t ReqArg(napi_env env, napi_value v, Session** out);

}  // namespace pmlogfs
