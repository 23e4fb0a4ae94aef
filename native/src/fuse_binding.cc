// libfuse3 low-level binding (placeholder until the FUSE part lands).
#include "addon.h"
namespace pmlogfs {
void InitFuse(Napi::Env, Napi::Object) {}
}
