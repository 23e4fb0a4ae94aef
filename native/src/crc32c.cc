// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every pmlogfs structure.
// SSE4.2's crc32 instruction when the CPU has it (checked at load), else slice-by-8 tables.
// The seed is a previous result, so crc(b, crc(a)) == crc(a ++ b); crc("123456789") = 0xE3069283.
// Exports: crc32c(bytes, seed) over a Buffer; pmemCrc32c(id, off, len, seed) over a mapping range;
// crc32cHardware (boolean).
#include <nmmintrin.h>

#include <cstring>

#include "pmem_internal.h"

namespace pmlogfs {

static uint32_t g_table[8][256];

static void BuildTables() {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    g_table[0][b] = c;
  }
  for (int k = 1; k < 8; k++)
    for (uint32_t b = 0; b < 256; b++) g_table[k][b] = (g_table[k - 1][b] >> 8) ^ g_table[0][g_table[k - 1][b] & 0xff];
}

static uint32_t Crc32cSoft(const uint8_t* p, size_t n, uint32_t crc) {
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = g_table[7][lo & 0xff] ^ g_table[6][(lo >> 8) & 0xff] ^ g_table[5][(lo >> 16) & 0xff] ^
          g_table[4][lo >> 24] ^ g_table[3][hi & 0xff] ^ g_table[2][(hi >> 8) & 0xff] ^
          g_table[1][(hi >> 16) & 0xff] ^ g_table[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ g_table[0][(crc ^ *p++) & 0xff];
  return crc;
}

__attribute__((target("sse4.2"))) static uint32_t Crc32cHard(const uint8_t* p, size_t n, uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

static bool g_hw = false;

uint32_t Crc32c(const uint8_t* p, size_t len, uint32_t seed) {
  uint32_t crc = ~seed;
  crc = g_hw ? Crc32cHard(p, len, crc) : Crc32cSoft(p, len, crc);
  return ~crc;
}

static bool GetSeed(napi_env env, napi_value v, uint32_t* seed) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) { *seed = 0; return true; }
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 4294967295.0 || d != static_cast<uint32_t>(d)) {
    ThrowCode(env, "EINVAL", "pmlogfs native: crc32c seed must be an unsigned 32-bit integer");
    return false;
  }
  *seed = static_cast<uint32_t>(d);
  return true;
}

static napi_value Crc32cBuffer(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GetArgs(env, info, 2, argv);
  uint8_t* p;
  size_t n;
  uint32_t seed;
  if (!GetBytes(env, argv[0], "crc32c input", &p, &n) || !GetSeed(env, argv[1], &seed)) return nullptr;
  napi_value r;
  napi_create_uint32(env, Crc32c(p, n, seed), &r);
  return r;
}

static napi_value Crc32cRange(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  GetArgs(env, info, 4, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  size_t off, len;
  uint32_t seed;
  if (!s || !GetSize(env, argv[1], "offset", &off) || !GetSize(env, argv[2], "length", &len) ||
      !CheckRange(env, s, off, len, "crc32c") || !GetSeed(env, argv[3], &seed)) {
    return nullptr;
  }
  napi_value r;
  napi_create_uint32(env, Crc32c(s->m.base + off, len, seed), &r);
  return r;
}

void InitCrc32c(napi_env env, napi_value exports) {
  BuildTables();
  __builtin_cpu_init();
  g_hw = __builtin_cpu_supports("sse4.2") && getenv("PMLOGFS_CRC32C_SOFT") == nullptr;
  Export(env, exports, "crc32c", Crc32cBuffer);
  Export(env, exports, "pmemCrc32c", Crc32cRange);
  napi_value hw;
  napi_get_boolean(env, g_hw, &hw);
  napi_set_named_property(env, exports, "crc32cHardware", hw);
}

}  // namespace pmlogfs
