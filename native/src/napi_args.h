// The one N-API argument helper shared by every part of the addon.
#pragma once
#include <node_api.h>

#include <cstddef>

namespace pmlogfs {
// Fetches exactly n arguments (missing ones are undefined). Defined in pmem.cc.
void GetArgs(napi_env env, napi_callback_info info, size_t n, napi_value* argv);
}  // namespace pmlogfs
