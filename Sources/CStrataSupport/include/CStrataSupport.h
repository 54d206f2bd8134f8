#ifndef STRATA_CSTRATASUPPORT_H
#define STRATA_CSTRATASUPPORT_H

// The two things Strata needs from C that Swift does not expose.

/// Asks the CPU to start loading the cache line at `address` for reading. Never faults, even for an
/// invalid address; the head uses it to overlap the cache misses of consecutive points' lookups.
static inline void strata_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Tunes glibc's allocator to keep freed memory for reuse (see `keepFreedMemoryForReuse` in the
/// `strata` executable). Does nothing on other C libraries.
void strata_keep_freed_memory(int trim_threshold, int mmap_threshold);

#endif
