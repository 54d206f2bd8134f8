#include <zlib.h>

/// inflateInit2 is a macro; this wrapper accepts gzip and zlib streams (window bits 15 + 32).
static inline int strata_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

/// deflateInit2 with a gzip header (tests compress bodies with it).
static inline int strata_deflate_init_gzip(z_stream *stream) {
    return deflateInit2(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
