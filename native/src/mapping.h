// The registry of live PM mappings, shared by the pmem part (which creates and unmaps them)
// and the FUSE binding (which replies to reads straight from a mapping by id).
#pragma once
#include <cstddef>
#include <cstdint>

namespace pmlogfs {

struct Mapping {
  uint8_t* base = nullptr;   // start of the mapped region
  size_t length = 0;         // bytes mapped
  bool is_pmem = false;      // persistence by cache flush (true) or msync (false)
};

// The mapping with this id, or nullptr when it was never made or has been unmapped.
// Only valid on the JavaScript thread or while the caller holds a reference (see pmem.cc).
Mapping* GetMapping(uint32_t id);

}  // namespace pmlogfs
