// Internal to the pmem part of the addon (pmem_*.cc, crc32c.cc, crash_lines.cc): raw N-API
// argument helpers and the per-mapping state. Hot primitives are plain N-API functions (no
// ObjectWrap, no node-addon-api wrappers in the call path): ~28 ns per call.
//
// Every function checks its arguments before touching memory: a bad id, a closed mapping, a
// range outside the mapping or a non-integer offset throws a JavaScript error, never a segfault.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mapping.h"
#include "napi_args.h"

namespace pmlogfs {

enum class MapKind { kDevDax, kFsDax, kFile };

// What the registry keeps per mapping: the shared part (Mapping) plus JavaScript-side state.
struct MappingState {
  Mapping m;
  MapKind kind = MapKind::kFile;
  bool ours = false;                  // mapped with mmap() here (read-only open), not pmem_map_file
  std::vector<napi_ref> windows;      // lazily made external ArrayBuffers, one per window
  std::vector<std::pair<size_t, size_t>> dirty;  // msync mode: page ranges flushed, not drained
};

// The live mapping for a JS id argument, or nullptr with a JS error pending.
MappingState* LiveMapping(napi_env env, napi_value id);
// Throws an Error with .code = code (e.g. "EINVAL", "EBUSY") and the message.
void ThrowCode(napi_env env, const char* code, const char* message);
// Reads an argument as a non-negative integer below 2^53; false with a JS error pending.
bool GetSize(napi_env env, napi_value v, const char* what, size_t* out);
// Checks [off, off+len) lies inside the mapping; false with a JS error pending.
bool CheckRange(napi_env env, const MappingState* s, size_t off, size_t len, const char* what);
// Refuses mutation of a read-only mapping; false with a JS error pending.
bool CheckWritable(napi_env env, const MappingState* s, const char* what);
// The bytes of a Uint8Array/Buffer argument; false with a JS error pending.
bool GetBytes(napi_env env, napi_value v, const char* what, uint8_t** data, size_t* len);
// Registers fn as exports[name].
void Export(napi_env env, napi_value exports, const char* name, napi_callback fn);

// Persistence in the mode of the mapping (pmem_persist.cc).
void FlushRange(MappingState* s, size_t off, size_t len);
bool DrainMapping(napi_env env, MappingState* s);

// Registration of each part.
void InitPmemMap(napi_env env, napi_value exports);      // pmem_map.cc
void InitPmemPersist(napi_env env, napi_value exports);  // pmem_persist.cc
void InitCrc32c(napi_env env, napi_value exports);       // crc32c.cc
void InitCrashLines(napi_env env, napi_value exports);   // crash_lines.cc
void InitImageLock(napi_env env, napi_value exports);    // image_lock.cc

// CRC32C of len bytes continuing from seed (a previous result; 0 to start).
uint32_t Crc32c(const uint8_t* p, size_t len, uint32_t seed);

}  // namespace pmlogfs
