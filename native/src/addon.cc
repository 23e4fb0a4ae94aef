// Module entry: registers every part of the addon. No file-system logic lives in C++.
#include "addon.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pmlogfs::InitPmem(env, exports);
  pmlogfs::InitFuse(env, exports);
  return exports;
}

NODE_API_MODULE(pmlogfs_native, Init)
