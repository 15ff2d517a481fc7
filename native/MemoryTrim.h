// Hands freed heap memory back to the system after a model or a context is
// freed. glibc keeps freed memory in its arenas (one per thread that ever
// allocated), so load → context → generate → dispose cycles, whose buffers
// are allocated on the pool and engine threads, grew the process by ~40 KB
// a cycle without any leak (measured with heaptrack: nothing leaked; the
// growth was free arena pages). malloc_trim(0) releases them. Other C
// libraries return large blocks on free already.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lg {

inline void ReleaseFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace lg
