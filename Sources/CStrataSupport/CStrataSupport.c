#define _GNU_SOURCE
#include "CStrataSupport.h"

#include <pthread.h>
#include <stdlib.h>

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
