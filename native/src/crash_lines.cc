// Crash-test helpers for ShadowRegion (src/pmem/shadow-region.ts), over plain Buffers:
//   diffLines(a, b) -> Uint32Array: indices of the 64-byte lines where a and b differ (equal
//     lengths; a last partial line counts). Equal 4 KiB pages are skipped with one memcmp, so a
//     64 MiB diff takes a few ms.
//   copyLines(dst, src, lines: Uint32Array): copies those lines src -> dst (equal lengths).
#include <cstring>
#include <string>
#include <vector>

#include "pmem_internal.h"

namespace pmlogfs {

static bool TwoBuffers(napi_env env, napi_value a, napi_value b, uint8_t** pa, uint8_t** pb, size_t* n) {
  size_t na, nb;
  if (!GetBytes(env, a, "first buffer", pa, &na) || !GetBytes(env, b, "second buffer", pb, &nb)) return false;
  if (na != nb) {
    std::string m = "pmlogfs native: line ops need buffers of equal length: " + std::to_string(na) + " vs " +
                    std::to_string(nb);
    ThrowCode(env, "EINVAL", m.c_str());
    return false;
  }
  *n = na;
  return true;
}

static napi_value DiffLines(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GetArgs(env, info, 2, argv);
  uint8_t *a, *b;
  size_t n;
  if (!TwoBuffers(env, argv[0], argv[1], &a, &b, &n)) return nullptr;
  std::vector<uint32_t> out;
  const size_t kPage = 4096;
  for (size_t page = 0; page < n; page += kPage) {
    size_t page_end = std::min(page + kPage, n);
    if (std::memcmp(a + page, b + page, page_end - page) == 0) continue;
    for (size_t line = page; line < page_end; line += kLineBytes) {
      size_t line_end = std::min(line + kLineBytes, page_end);
      if (std::memcmp(a + line, b + line, line_end - line) != 0) out.push_back(static_cast<uint32_t>(line / kLineBytes));
    }
  }
  void* data;
  napi_value ab, ta;
  napi_create_arraybuffer(env, out.size() * 4, &data, &ab);
  if (!out.empty()) std::memcpy(data, out.data(), out.size() * 4);
  napi_create_typedarray(env, napi_uint32_array, out.size(), ab, 0, &ta);
  return ta;
}

static napi_value CopyLines(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  GetArgs(env, info, 3, argv);
  uint8_t *dst, *src;
  size_t n;
  if (!TwoBuffers(env, argv[0], argv[1], &dst, &src, &n)) return nullptr;
  napi_typedarray_type type;
  size_t count;
  void* p;
  bool is_ta = false;
  napi_is_typedarray(env, argv[2], &is_ta);
  if (!is_ta || napi_get_typedarray_info(env, argv[2], &type, &count, &p, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array) {
    ThrowCode(env, "EINVAL", "pmlogfs native: copyLines needs a Uint32Array of line indices");
    return nullptr;
  }
  const uint32_t* lines = static_cast<const uint32_t*>(p);
  size_t n_lines = (n + kLineBytes - 1) / kLineBytes;
  for (size_t i = 0; i < count; i++) {
    if (lines[i] >= n_lines) {
      std::string m = "pmlogfs native: line " + std::to_string(lines[i]) + " outside a buffer of " +
                      std::to_string(n_lines) + " lines";
      ThrowCode(env, "ERANGE", m.c_str());
      return nullptr;
    }
  }
  for (size_t i = 0; i < count; i++) {
    size_t start = size_t(lines[i]) * kLineBytes;
    std::memcpy(dst + start, src + start, std::min(kLineBytes, n - start));
  }
  return nullptr;
}

void InitCrashLines(napi_env env, napi_value exports) {
  Export(env, exports, "diffLines", DiffLines);
  Export(env, exports, "copyLines", CopyLines);
}

}  // namespace pmlogfs
