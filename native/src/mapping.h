// The registry of live PM mappings, shared by the pmem part (which creates and unmaps them)
// and the FUSE binding (which replies to reads straight from a mapping by id).
#pragma once
#include <cstddef>
#include <cstdint>

namespace pmlogfs {

// Bytes per zero-copy view window handed to JavaScript (1 GiB). Must equal WINDOW_BYTES in
// src/pmem/window.ts. Every on-media structure lies inside one 4 KiB block, so none straddles.
constexpr size_t kWindowBytes = size_t(1) << 30;

// The cache-line size of the crash model and of flushing.
constexpr size_t kLineBytes = 64;

struct Mapping {
  uint8_t* base = nullptr;   // start of the mapped region
  size_t length = 0;         // bytes mapped
  bool is_pmem = false;      // persistence by cache flush (true) or msync (false)
  bool read_only = false;    // opened read-only: every mutating primitive refuses (EROFS)
};

// The mapping with this id, or nullptr when it was never made or has been unmapped.
// Ids are never reused within a process, so a stale id yields nullptr, never another mapping.
// Callable from any thread (the lookup locks the registry). The pointer stays valid until the
// mapping is unmapped, which happens only on the JavaScript thread in region.close(): a caller on
// another thread must know the region stays open while it uses the pointer.
Mapping* GetMapping(uint32_t id);

}  // namespace pmlogfs
