// PM mapping and persist primitives (placeholder until the native part lands).
#include "addon.h"
namespace pmlogfs {
void InitPmem(Napi::Env, Napi::Object) {}
}
