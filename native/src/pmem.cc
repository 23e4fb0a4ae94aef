// The pmem part of the addon: argument helpers shared by its files, and its registration.
// Files: pmem_map.cc (mapping registry, map/unmap, view windows), pmem_persist.cc (flush,
// drain, persist, copies, commit64, zero), crc32c.cc, crash_lines.cc (ShadowRegion helpers),
// image_lock.cc (flock of an image in use). No file-system logic lives here.
#include <malloc.h>

#include <cmath>
#include <string>

#include "addon.h"
#include "pmem_internal.h"

namespace pmlogfs {

void ThrowCode(napi_env env, const char* code, const char* message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_value msg, codev, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codev);
  napi_create_error(env, codev, msg, &err);
  napi_throw(env, err);
}

void GetArgs(napi_env env, napi_callback_info info, size_t n, napi_value* argv) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_value undef;
  napi_get_undefined(env, &undef);
  for (size_t i = argc; i < n; i++) argv[i] = undef;
}

bool GetSize(napi_env env, napi_value v, const char* what, size_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 9007199254740991.0 ||
      std::floor(d) != d) {
    std::string m = std::string("pmlogfs native: ") + what + " must be a non-negative integer below 2^53";
    ThrowCode(env, "EINVAL", m.c_str());
    return false;
  }
  *out = static_cast<size_t>(d);
  return true;
}

bool CheckRange(napi_env env, const MappingState* s, size_t off, size_t len, const char* what) {
  if (off <= s->m.length && len <= s->m.length - off) return true;
  std::string m = std::string("pmlogfs native: ") + what + " range [" + std::to_string(off) + ", +" +
                  std::to_string(len) + ") is outside the mapping of " + std::to_string(s->m.length) +
                  " bytes";
  ThrowCode(env, "ERANGE", m.c_str());
  return false;
}

bool CheckWritable(napi_env env, const MappingState* s, const char* what) {
  if (!s->m.read_only) return true;
  std::string m = std::string("pmlogfs native: ") + what + " on a region opened read-only";
  ThrowCode(env, "EROFS", m.c_str());
  return false;
}

bool GetBytes(napi_env env, napi_value v, const char* what, uint8_t** data, size_t* len) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    void* p = nullptr;
    if (napi_get_typedarray_info(env, v, &type, len, &p, nullptr, nullptr) == napi_ok &&
        (type == napi_uint8_array || type == napi_uint8_clamped_array || type == napi_int8_array)) {
      *data = static_cast<uint8_t*>(p);
      return true;
    }
  }
  std::string m = std::string("pmlogfs native: ") + what + " must be a Uint8Array or Buffer";
  ThrowCode(env, "EINVAL", m.c_str());
  return false;
}

void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

static napi_value Noop(napi_env, napi_callback_info) { return nullptr; }

// Keeps large freed blocks in the process heap instead of returning them to the kernel. A copy
// out of the mapping (pmemRead into a new Buffer) cost ~400 µs per MiB against ~90 µs for the
// memcpy itself: glibc served each fresh 1 MiB Buffer with a new mmap (or regrew a trimmed heap),
// so every 4 KiB page of it faulted on first touch (247 minor faults per MiB measured). With
// blocks up to 32 MiB taken from the heap and up to 128 MiB of free heap kept, a Buffer freed by
// the GC is reused: 0 faults per MiB. Cost: up to 128 MiB of freed memory stays in the process.
static void KeepLargeBlocksInHeap() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

void InitPmem(Napi::Env env, Napi::Object exports) {
  napi_env e = env;
  napi_value x = exports;
  KeepLargeBlocksInHeap();
  InitPmemMap(e, x);
  InitPmemPersist(e, x);
  InitCrc32c(e, x);
  InitCrashLines(e, x);
  InitImageLock(e, x);
  Export(e, x, "noop", Noop);
}

}  // namespace pmlogfs
