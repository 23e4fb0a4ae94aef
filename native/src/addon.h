// pmlogfs native addon: each part registers its functions on the module's exports.
#pragma once
#include <napi.h>

namespace pmlogfs {
void InitPmem(Napi::Env env, Napi::Object exports);   // pmem.cc: mapping, persist, CRC32C, crash helpers
void InitFuse(Napi::Env env, Napi::Object exports);   // fuse_binding.cc: libfuse3 low-level binding
}  // namespace pmlogfs
