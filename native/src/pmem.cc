// PM mapping and persist primitives (placeholder until the native part lands).
#include "addon.h"
#include "mapping.h"
namespace pmlogfs {
void InitPmem(Napi::Env, Napi::Object) {}
}
namespace pmlogfs {
Mapping* GetMapping(uint32_t) { return nullptr; }
}
