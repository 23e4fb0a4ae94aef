// Mapping a PM region and handing zero-copy windows of it to JavaScript.
//
// pmemMap(path, create, sizeBytes, forcePmem, readOnly) -> {id, sizeBytes, kind, isPmem, readOnly}
//   - a device-DAX char device: pmem_map_file(path, 0) maps the whole device (kind 'devdax');
//   - a file on a DAX fs: pmem_map_file uses MAP_SYNC and pmem_is_pmem is true (kind 'fsdax');
//   - a plain file: mapped normally, is_pmem false, durability by pmem_msync (kind 'file'),
//     unless forcePmem, which treats it as PM (cache-flush persistence; the caller warns).
//   create: a missing file is created sparse (PMEM_FILE_CREATE|PMEM_FILE_SPARSE) of sizeBytes;
//   an existing smaller file is grown sparse to sizeBytes; a larger one is refused (EINVAL:
//   never shrink an image). Without create, nothing is ever created (ENOENT).
//   readOnly (regular files): open O_RDONLY and mmap MAP_PRIVATE, so a stray store through a view
//   never reaches the file; every mutating primitive refuses with EROFS. The kind still says
//   whether the file is on a DAX fs (a MAP_SYNC probe). A device-DAX device cannot be mapped
//   privately: read-only there maps it shared and relies on the EROFS checks alone.
// pmemWindow(id, index) -> ArrayBuffer: an external ArrayBuffer over window `index` (kWindowBytes
//   each, the last one shorter), made on first use and cached.
// pmemUnmap(id): detaches every window ArrayBuffer handed out (napi_detach_arraybuffer: views
//   become empty), then unmaps. The id stays dead: later calls throw, never touch memory.
#include <fcntl.h>
#include <libpmem.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <climits>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "pmem_internal.h"

namespace pmlogfs {

// Index = id; slot 0 unused; entries are reset (not erased) at unmap so ids are never reused.
// Mutated only on the JavaScript thread, under g_registry_mu, so the JS-thread hot path reads it
// without locking and GetMapping (which any thread may call) locks.
static std::vector<std::unique_ptr<MappingState>> g_registry(1);
static std::mutex g_registry_mu;

Mapping* GetMapping(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  if (id >= g_registry.size() || !g_registry[id] || g_registry[id]->m.base == nullptr) return nullptr;
  return &g_registry[id]->m;
}

MappingState* LiveMapping(napi_env env, napi_value idv) {
  uint32_t id = 0;
  if (napi_get_value_uint32(env, idv, &id) == napi_ok && id < g_registry.size() && g_registry[id] &&
      g_registry[id]->m.base != nullptr) {
    return g_registry[id].get();
  }
  ThrowCode(env, "EBADF", "pmlogfs native: the region is closed (its mapping was unmapped) or never existed");
  return nullptr;
}

static void ThrowErrno(napi_env env, int err, const std::string& what) {
  const char* code = "EIO";
  switch (err) {
    case ENOENT: code = "ENOENT"; break;
    case EACCES: code = "EACCES"; break;
    case EPERM: code = "EPERM"; break;
    case EINVAL: code = "EINVAL"; break;
    case ENOSPC: code = "ENOSPC"; break;
    case EISDIR: code = "EISDIR"; break;
    case EROFS: code = "EROFS"; break;
    case ENOMEM: code = "ENOMEM"; break;
    case EBUSY: code = "EBUSY"; break;
    case ENXIO: code = "ENXIO"; break;
    case EEXIST: code = "EEXIST"; break;
    case ENODEV: code = "ENODEV"; break;
    default: break;
  }
  std::string m = what + ": " + std::strerror(err);
  ThrowCode(env, code, m.c_str());
}

// True when the character device st is a device-DAX (/sys/dev/char/M:m/subsystem -> .../dax).
static bool IsDevDax(const struct stat& st) {
  std::string link = "/sys/dev/char/" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) +
                     "/subsystem";
  char buf[PATH_MAX];
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* base = std::strrchr(buf, '/');
  return std::strcmp(base ? base + 1 : buf, "dax") == 0;
}

static bool GetBool(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

// Maps a regular file read-only (private, so stray stores stay in this process). *dax tells
// whether the file lives on a DAX fs (a one-page MAP_SYNC probe mapping succeeds).
static uint8_t* MapReadOnly(const std::string& path, size_t* len, int* err, bool* dax) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *err = errno; return nullptr; }
  struct stat st;
  if (fstat(fd, &st) != 0) { *err = errno; close(fd); return nullptr; }
  *len = static_cast<size_t>(st.st_size);
  if (*len == 0) { *err = EINVAL; close(fd); return nullptr; }
  void* probe = mmap(nullptr, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
  *dax = probe != MAP_FAILED;
  if (*dax) munmap(probe, 4096);
  void* p = mmap(nullptr, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  *err = errno;
  close(fd);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

// Creates (sparse) or grows the file at path to size; refuses to shrink.
static bool PrepareCreate(napi_env env, const std::string& path, size_t size) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;  // pmem_map_file creates it sparse
    ThrowErrno(env, errno, "pmlogfs: cannot stat " + path);
    return false;
  }
  if (!S_ISREG(st.st_mode)) return true;  // a device: mapped whole, size ignored
  size_t cur = static_cast<size_t>(st.st_size);
  if (cur > size) {
    std::string m = "pmlogfs: " + path + " is " + std::to_string(cur) + " bytes, larger than the requested " +
                    std::to_string(size) + "; refusing to shrink an existing file";
    ThrowCode(env, "EINVAL", m.c_str());
    return false;
  }
  if (cur < size && truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    ThrowErrno(env, errno, "pmlogfs: cannot grow " + path);
    return false;
  }
  return true;
}

static napi_value MakeInfo(napi_env env, uint32_t id, const MappingState* s) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_uint32(env, id, &v);
  napi_set_named_property(env, o, "id", v);
  napi_create_double(env, static_cast<double>(s->m.length), &v);
  napi_set_named_property(env, o, "sizeBytes", v);
  const char* kind = s->kind == MapKind::kDevDax ? "devdax" : s->kind == MapKind::kFsDax ? "fsdax" : "file";
  napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "kind", v);
  napi_get_boolean(env, s->m.is_pmem, &v);
  napi_set_named_property(env, o, "isPmem", v);
  napi_get_boolean(env, s->m.read_only, &v);
  napi_set_named_property(env, o, "readOnly", v);
  return o;
}

static bool GetPath(napi_env env, napi_value v, std::string* out) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok || n == 0) {
    ThrowCode(env, "EINVAL", "pmlogfs native: the path must be a non-empty string");
    return false;
  }
  out->resize(n + 1);
  napi_get_value_string_utf8(env, v, out->data(), n + 1, &n);
  out->resize(n);
  return true;
}

static napi_value Map(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  GetArgs(env, info, 5, argv);
  std::string path;
  size_t size = 0;
  if (!GetPath(env, argv[0], &path)) return nullptr;
  bool create = GetBool(env, argv[1]);
  if (!GetSize(env, argv[2], "sizeBytes", &size)) return nullptr;
  bool force = GetBool(env, argv[3]);
  bool read_only = GetBool(env, argv[4]);
  if (create && size == 0) {
    ThrowCode(env, "EINVAL", "pmlogfs: creating an image needs a size");
    return nullptr;
  }
  if (create && read_only) {
    ThrowCode(env, "EINVAL", "pmlogfs: cannot create an image read-only");
    return nullptr;
  }

  struct stat st;
  bool exists = stat(path.c_str(), &st) == 0;
  if (!exists && !create) {
    ThrowErrno(env, errno, "pmlogfs: cannot open " + path);
    return nullptr;
  }
  bool is_chr = exists && S_ISCHR(st.st_mode);
  if ((exists && !is_chr && !S_ISREG(st.st_mode)) || (is_chr && !IsDevDax(st))) {
    ThrowCode(env, "EINVAL", ("pmlogfs: " + path + " is neither a regular file nor a device-DAX character device").c_str());
    return nullptr;
  }
  if (exists && !is_chr && st.st_size == 0 && !create) {
    ThrowCode(env, "EINVAL", ("pmlogfs: " + path + " is empty (0 bytes): not an image").c_str());
    return nullptr;
  }

  auto s = std::make_unique<MappingState>();
  size_t len = 0;
  int is_pmem = 0;
  void* base = nullptr;
  if (read_only && !is_chr) {
    int err = 0;
    bool dax = false;
    base = MapReadOnly(path, &len, &err, &dax);
    if (!base) { ThrowErrno(env, err, "pmlogfs: cannot map " + path + " read-only"); return nullptr; }
    s->ours = true;
    is_pmem = dax;  // reports the backing's kind; nothing is ever persisted through this mapping
  } else {
    if (create && !PrepareCreate(env, path, size)) return nullptr;
    bool creating = create && !exists;
    int flags = creating ? (PMEM_FILE_CREATE | PMEM_FILE_SPARSE | PMEM_FILE_EXCL) : 0;
    base = pmem_map_file(path.c_str(), creating ? size : 0, flags, 0644, &len, &is_pmem);
    if (!base) { ThrowErrno(env, errno, "pmlogfs: cannot map " + path); return nullptr; }
  }
  s->m.base = static_cast<uint8_t*>(base);
  s->m.length = len;
  s->m.read_only = read_only;
  s->kind = is_chr ? MapKind::kDevDax : (is_pmem ? MapKind::kFsDax : MapKind::kFile);
  s->m.is_pmem = is_pmem != 0 || force;
  s->windows.assign((len + kWindowBytes - 1) / kWindowBytes, nullptr);

  std::lock_guard<std::mutex> lock(g_registry_mu);
  uint32_t id = static_cast<uint32_t>(g_registry.size());
  g_registry.push_back(std::move(s));
  return MakeInfo(env, id, g_registry[id].get());
}

static napi_value Window(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  GetArgs(env, info, 2, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  if (!s) return nullptr;
  size_t index = 0;
  if (!GetSize(env, argv[1], "window index", &index)) return nullptr;
  if (index >= s->windows.size()) {
    ThrowCode(env, "ERANGE", "pmlogfs native: window index past the end of the mapping");
    return nullptr;
  }
  napi_value ab;
  if (s->windows[index] != nullptr) {
    napi_get_reference_value(env, s->windows[index], &ab);
    return ab;
  }
  size_t start = index * kWindowBytes;
  size_t n = std::min(kWindowBytes, s->m.length - start);
  if (napi_create_external_arraybuffer(env, s->m.base + start, n, nullptr, nullptr, &ab) != napi_ok) {
    ThrowCode(env, "ENOMEM", "pmlogfs native: cannot create an external ArrayBuffer for a window");
    return nullptr;
  }
  napi_create_reference(env, ab, 1, &s->windows[index]);
  return ab;
}

static napi_value Unmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  GetArgs(env, info, 1, argv);
  MappingState* s = LiveMapping(env, argv[0]);
  if (!s) return nullptr;
  // Make pending msync-mode flushes durable before the mapping goes away.
  if (!s->m.read_only && !s->dirty.empty()) DrainMapping(env, s);
  for (napi_ref& r : s->windows) {
    if (r == nullptr) continue;
    napi_value ab;
    if (napi_get_reference_value(env, r, &ab) == napi_ok && ab != nullptr) napi_detach_arraybuffer(env, ab);
    napi_delete_reference(env, r);
    r = nullptr;
  }
  uint8_t* base = s->m.base;
  size_t len = s->m.length;
  bool ours = s->ours;
  uint32_t id = 0;
  napi_get_value_uint32(env, argv[0], &id);
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    g_registry[id].reset();  // from here every call with this id throws; GetMapping(id) is null
  }
  if (ours) munmap(base, len); else pmem_unmap(base, len);
  return nullptr;
}

void InitPmemMap(napi_env env, napi_value exports) {
  Export(env, exports, "pmemMap", Map);
  Export(env, exports, "pmemWindow", Window);
  Export(env, exports, "pmemUnmap", Unmap);
  napi_value w;
  napi_create_double(env, static_cast<double>(kWindowBytes), &w);
  napi_set_named_property(env, exports, "pmemWindowBytes", w);
}

}  // namespace pmlogfs
