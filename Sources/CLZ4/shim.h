// The system liblz4 (Debian: liblz4-dev). Only StrataIO imports this module.
#include <lz4.h>
