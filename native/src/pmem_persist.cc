// The persist primitives, each correct in both modes of a mapping:
//   PM mode (device-DAX, fsdax with MAP_SYNC, or forced): cache-line flush (clwb/clflushopt via
//     pmem_flush) and fence (sfence via pmem_drain); copies use non-temporal stores.
//   msync mode (a plain file): flush RECORDS the page-aligned range, drain msyncs every recorded
//     range (merged) and clears the record. So, as in PM mode, nothing flushed is guaranteed
//     durable before the next drain, and everything flushed is durable after it; several flushes
//     in one page cost one msync. (Decision: drain, not flush, does the msync.)
// Exports (first argument: mapping id): pmemFlush(off,len), pmemDrain(), pmemPersist(off,len),
// pmemCopyPersist(dst, bytes), pmemCopyNoDrain(dst, bytes), pmemWrite(dst, bytes) (plain stores),
// pmemRead(off, into), pmemCommit64(off, bigint) (aligned 8-byte store + flush + fence),
// pmemZero(off,len) (persisted).
#include <libpmem.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "pmem_internal.h"

namespace pmlogfs {

static const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

void FlushRange(MappingState* s, size_t off, size_t len) {
  if (len == 0) return;
  if (s->m.is_pmem) {
    pmem_flush(s->m.base + off, len);
    return;
  }
  size_t start = off / kPage * kPage;
  size_t end = std::min((off + len + kPage - 1) / kPage * kPage, (s->m.length + kPage - 1) / kPage * kPage);
  if (!s->dirty.empty() && s->dirty.back().second >= start && s->dirty.back().first <= end) {
    auto& last = s->dirty.back();  // overlaps or touches the last range: extend it
    last.first = std::min(last.first, start);
    last.second = std::max(last.second, end);
    return;
  }
  s->dirty.emplace_back(start, end);
}

bool DrainMapping(napi_env env, MappingState* s) {
  if (s->m.is_pmem) {
    pmem_drain();
    return true;
  }
  auto& d = s->dirty;
  if (d.empty()) return true;
  std::sort(d.begin(), d.end());
  size_t i = 0;
  bool ok = true;
  int err = 0;
  while (i < d.size()) {
    size_t start = d[i].first, end = d[i].second;
    for (i++; i < d.size() && d[i].first <= end; i++) end = std::max(end, d[i].second);
    if (pmem_msync(s->m.base + start, end - start) != 0 && ok) { ok = false; err = errno; }
  }
  d.clear();
  if (!ok) {
    std::string m = std::string("pmlogfs: msync failed, data may not be durable: ") + std::strerror(err);
    ThrowCode(env, "EIO", m.c_str());
  }
  return ok;
}

// Parses (id, off, len) and checks range and writability.
static MappingState* IdRange(napi_env env, napi_callback_info info, size_t* off, size_t* len, const char* what,
                             bool mutating) {
  napi_value argv[3];
  GetArgs(env, info, 3, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  if (!s || !GetSize(env, argv[1], "offset", off) || !GetSize(env, argv[2], "length", len) ||
      !CheckRange(env, s, *off, *len, what) || (mutating && !CheckWritable(env, s, what))) {
    return nullptr;
  }
  return s;
}

// Parses (id, off, bytes) and checks range.
static MappingState* IdBytes(napi_env env, napi_callback_info info, size_t* off, uint8_t** src, size_t* len,
                             const char* what, bool mutating) {
  napi_value argv[3];
  GetArgs(env, info, 3, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  if (!s || !GetSize(env, argv[1], "offset", off) || !GetBytes(env, argv[2], "bytes", src, len) ||
      !CheckRange(env, s, *off, *len, what) || (mutating && !CheckWritable(env, s, what))) {
    return nullptr;
  }
  return s;
}

static napi_value Flush(napi_env env, napi_callback_info info) {
  size_t off, len;
  MappingState* s = IdRange(env, info, &off, &len, "flush", true);
  if (s) FlushRange(s, off, len);
  return nullptr;
}

static napi_value Drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  GetArgs(env, info, 1, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  if (s) DrainMapping(env, s);
  return nullptr;
}

static napi_value Persist(napi_env env, napi_callback_info info) {
  size_t off, len;
  MappingState* s = IdRange(env, info, &off, &len, "persist", true);
  if (!s) return nullptr;
  if (s->m.is_pmem) {
    pmem_persist(s->m.base + off, len);
  } else {
    FlushRange(s, off, len);
    DrainMapping(env, s);
  }
  return nullptr;
}

static void Copy(napi_env env, napi_callback_info info, bool drain, const char* what) {
  size_t off, len;
  uint8_t* src;
  MappingState* s = IdBytes(env, info, &off, &src, &len, what, true);
  if (!s || len == 0) return;
  if (s->m.is_pmem) {
    pmem_memcpy(s->m.base + off, src, len, PMEM_F_MEM_NONTEMPORAL | (drain ? 0 : PMEM_F_MEM_NODRAIN));
    return;
  }
  std::memcpy(s->m.base + off, src, len);
  FlushRange(s, off, len);
  if (drain) DrainMapping(env, s);
}

static napi_value CopyPersist(napi_env env, napi_callback_info info) {
  Copy(env, info, true, "copyPersist");
  return nullptr;
}

static napi_value CopyNoDrain(napi_env env, napi_callback_info info) {
  Copy(env, info, false, "copyNoDrain");
  return nullptr;
}

static napi_value Write(napi_env env, napi_callback_info info) {
  size_t off, len;
  uint8_t* src;
  MappingState* s = IdBytes(env, info, &off, &src, &len, "write", true);
  if (s && len > 0) std::memcpy(s->m.base + off, src, len);
  return nullptr;
}

static napi_value Read(napi_env env, napi_callback_info info) {
  size_t off, len;
  uint8_t* dst;
  MappingState* s = IdBytes(env, info, &off, &dst, &len, "read", false);
  if (s && len > 0) std::memcpy(dst, s->m.base + off, len);
  return nullptr;
}

static napi_value Commit64(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  GetArgs(env, info, 3, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  size_t off;
  if (!s || !GetSize(env, argv[1], "offset", &off) || !CheckRange(env, s, off, 8, "commit64") ||
      !CheckWritable(env, s, "commit64")) {
    return nullptr;
  }
  if (off % 8 != 0) {
    std::string m = "pmlogfs native: commit64 at offset " + std::to_string(off) + " is not 8-byte aligned";
    ThrowCode(env, "EINVAL", m.c_str());
    return nullptr;
  }
  uint64_t v = 0;
  bool lossless = false;
  if (napi_get_value_bigint_uint64(env, argv[2], &v, &lossless) != napi_ok || !lossless) {
    ThrowCode(env, "EINVAL", "pmlogfs native: commit64 value must be a bigint in [0, 2^64)");
    return nullptr;
  }
  // One aligned 8-byte store: atomic with respect to a crash (8-byte failure atomicity).
  __atomic_store_n(reinterpret_cast<uint64_t*>(s->m.base + off), v, __ATOMIC_RELEASE);
  if (s->m.is_pmem) {
    pmem_persist(s->m.base + off, 8);
  } else {
    FlushRange(s, off, 8);
    DrainMapping(env, s);
  }
  return nullptr;
}

static napi_value Zero(napi_env env, napi_callback_info info) {
  size_t off, len;
  MappingState* s = IdRange(env, info, &off, &len, "zero", true);
  if (!s || len == 0) return nullptr;
  if (s->m.is_pmem) {
    pmem_memset(s->m.base + off, 0, len, 0);  // persisted (flags 0 = drain at the end)
  } else {
    std::memset(s->m.base + off, 0, len);
    FlushRange(s, off, len);
    DrainMapping(env, s);
  }
  return nullptr;
}

void InitPmemPersist(napi_env env, napi_value exports) {
  Export(env, exports, "pmemFlush", Flush);
  Export(env, exports, "pmemDrain", Drain);
  Export(env, exports, "pmemPersist", Persist);
  Export(env, exports, "pmemCopyPersist", CopyPersist);
  Export(env, exports, "pmemCopyNoDrain", CopyNoDrain);
  Export(env, exports, "pmemWrite", Write);
  Export(env, exports, "pmemRead", Read);
  Export(env, exports, "pmemCommit64", Commit64);
  Export(env, exports, "pmemZero", Zero);
}

}  // namespace pmlogfs
