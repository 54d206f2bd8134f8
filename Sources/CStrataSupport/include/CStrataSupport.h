#ifndef STRATA_CSTRATASUPPORT_H
#define STRATA_CSTRATASUPPORT_H

// What Strata needs from C that Swift does not expose.

/// Asks the CPU to start loading the cache line at `address` for reading. Never faults, even for an
/// invalid address; the head uses it to overlap the cache misses of consecutive points' lookups.
static inline void strata_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Tunes glibc's allocator to keep freed memory for reuse (see `keepFreedMemoryForReuse` in the
/// `strata` executable). Does nothing on other C libraries.
void strata_keep_freed_memory(int trim_threshold, int mmap_threshold);

#include <stddef.h>
#include <stdint.h>

/// Whether `strata_crc32c_hardware` may be called: the CPU has the CRC32 instruction (x86-64 SSE4.2).
int strata_crc32c_hardware_available(void);

/// Continues CRC32C `crc` (0 for a fresh one; the usual pre- and post-inversion included) over
/// `length` bytes at `data` with the CPU's CRC32 instruction. Only when
/// `strata_crc32c_hardware_available()`; the result equals the table-driven one in StrataIO.
uint32_t strata_crc32c_hardware(uint32_t crc, const void *data, size_t length);

/// A readers-writer lock that prefers writers: once a writer waits, new readers wait behind it, so a
/// steady stream of overlapping readers cannot starve it (glibc's default prefers readers). Readers
/// must not take it recursively. Opaque; see `CutLock` in the engine.
typedef struct strata_rwlock strata_rwlock;

/// A new unlocked lock (never NULL: aborts when out of memory).
strata_rwlock *strata_rwlock_create(void);
void strata_rwlock_destroy(strata_rwlock *lock);
void strata_rwlock_lock_shared(strata_rwlock *lock);
void strata_rwlock_unlock_shared(strata_rwlock *lock);
void strata_rwlock_lock_exclusive(strata_rwlock *lock);
void strata_rwlock_unlock_exclusive(strata_rwlock *lock);

#endif
