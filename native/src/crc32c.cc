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

// The hardware path runs three independent crc32 streams over three adjacent blocks (the
// instruction has a 3-cycle latency but a 1-cycle throughput) and joins them by shifting a CRC
// over the zeros of the next blocks (GF(2) matrix operators, after Mark Adler's crc32c.c).
constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;
static uint32_t g_long_zeros[4][256];
static uint32_t g_short_zeros[4][256];

static uint32_t Gf2MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    mat++;
  }
  return sum;
}

static void Gf2MatrixSquare(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; n++) square[n] = Gf2MatrixTimes(mat, mat[n]);
}

// The operator that appends len zero bytes to a (raw) CRC state; len a power of two.
static void ZerosOp(uint32_t* even, size_t len) {
  uint32_t odd[32];
  odd[0] = 0x82F63B78u;  // one zero bit
  uint32_t row = 1;
  for (int n = 1; n < 32; n++) {
    odd[n] = row;
    row <<= 1;
  }
  Gf2MatrixSquare(even, odd);  // two zero bits
  Gf2MatrixSquare(odd, even);  // four zero bits
  do {  // first square gives one zero byte (eight bits), then doubles per step
    Gf2MatrixSquare(even, odd);
    len >>= 1;
    if (len == 0) return;
    Gf2MatrixSquare(odd, even);
    len >>= 1;
  } while (len);
  for (int n = 0; n < 32; n++) even[n] = odd[n];
}

static void ZerosTables(uint32_t zeros[][256], size_t len) {
  uint32_t op[32];
  ZerosOp(op, len);
  for (uint32_t n = 0; n < 256; n++) {
    zeros[0][n] = Gf2MatrixTimes(op, n);
    zeros[1][n] = Gf2MatrixTimes(op, n << 8);
    zeros[2][n] = Gf2MatrixTimes(op, n << 16);
    zeros[3][n] = Gf2MatrixTimes(op, n << 24);
  }
}

static inline uint32_t Shift(uint32_t zeros[][256], uint32_t crc) {
  return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^ zeros[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static inline uint64_t Load64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Three streams over blocks of `block` bytes while at least 3 blocks remain.
__attribute__((target("sse4.2"))) static uint64_t Crc3Way(const uint8_t** pp, size_t* n, uint64_t c0, size_t block,
                                                          uint32_t zeros[][256]) {
  const uint8_t* p = *pp;
  while (*n >= 3 * block) {
    uint64_t c1 = 0, c2 = 0;
    const uint8_t* end = p + block;
    do {
      c0 = _mm_crc32_u64(c0, Load64(p));
      c1 = _mm_crc32_u64(c1, Load64(p + block));
      c2 = _mm_crc32_u64(c2, Load64(p + 2 * block));
      p += 8;
    } while (p < end);
    c0 = Shift(zeros, static_cast<uint32_t>(c0)) ^ c1;
    c0 = Shift(zeros, static_cast<uint32_t>(c0)) ^ c2;
    p += 2 * block;
    *n -= 3 * block;
  }
  *pp = p;
  return c0;
}

__attribute__((target("sse4.2"))) static uint32_t Crc32cHard(const uint8_t* p, size_t n, uint32_t crc) {
  uint64_t c = crc;
  c = Crc3Way(&p, &n, c, kLong, g_long_zeros);
  c = Crc3Way(&p, &n, c, kShort, g_short_zeros);
  while (n >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
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
  ZerosTables(g_long_zeros, kLong);
  ZerosTables(g_short_zeros, kShort);
  __builtin_cpu_init();
  g_hw = __builtin_cpu_supports("sse4.2") && getenv("PMLOGFS_CRC32C_SOFT") == nullptr;
  Export(env, exports, "crc32c", Crc32cBuffer);
  Export(env, exports, "pmemCrc32c", Crc32cRange);
  napi_value hw;
  napi_get_boolean(env, g_hw, &hw);
  napi_set_named_property(env, exports, "crc32cHardware", hw);
}

}  // namespace pmlogfs
