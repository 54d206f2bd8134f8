#define _GNU_SOURCE
#include "CStrataSupport.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void strata_keep_freed_memory(int trim_threshold, int mmap_threshold) {
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
#else
    (void)trim_threshold;
    (void)mmap_threshold;
#endif
}

struct strata_rwlock {
    pthread_rwlock_t lock;
};

strata_rwlock *strata_rwlock_create(void) {
    strata_rwlock *result = malloc(sizeof(strata_rwlock));
    if (result == NULL) abort();
    pthread_rwlockattr_t attributes;
    pthread_rwlockattr_init(&attributes);
#if defined(__GLIBC__)
    pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    if (pthread_rwlock_init(&result->lock, &attributes) != 0) abort();
    pthread_rwlockattr_destroy(&attributes);
    return result;
}

void strata_rwlock_destroy(strata_rwlock *lock) {
    pthread_rwlock_destroy(&lock->lock);
    free(lock);
}

void strata_rwlock_lock_shared(strata_rwlock *lock) {
    if (pthread_rwlock_rdlock(&lock->lock) != 0) abort();
}

void strata_rwlock_unlock_shared(strata_rwlock *lock) {
    if (pthread_rwlock_unlock(&lock->lock) != 0) abort();
}

void strata_rwlock_lock_exclusive(strata_rwlock *lock) {
    if (pthread_rwlock_wrlock(&lock->lock) != 0) abort();
}

void strata_rwlock_unlock_exclusive(strata_rwlock *lock) {
    if (pthread_rwlock_unlock(&lock->lock) != 0) abort();
}

#if defined(__x86_64__)
#include <nmmintrin.h>

int strata_crc32c_hardware_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2")))
uint32_t strata_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    const unsigned char *bytes = data;
    uint64_t c = (uint32_t)~crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        c = _mm_crc32_u64(c, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length > 0) {
        c32 = _mm_crc32_u8(c32, *bytes);
        bytes += 1;
        length -= 1;
    }
    return ~c32;
}
#else
int strata_crc32c_hardware_available(void) { return 0; }

uint32_t strata_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    (void)data;
    (void)length;
    abort();  /* never called: strata_crc32c_hardware_available() is 0 */
    return crc;
}
#endif
