#include "CStrataSupport.h"

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
