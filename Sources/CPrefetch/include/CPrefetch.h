#ifndef STRATA_CPREFETCH_H
#define STRATA_CPREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for reading. Never faults, even for an
/// invalid address; the head uses it to overlap the cache misses of consecutive points' lookups.
static inline void strata_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
