// ErrorCode prints by name in GoogleTest failure messages through operator<< in core/error.h,
// in every test binary alike (a PrintTo here, seen by some files of a binary and not others,
// gave two definitions of GoogleTest's printer, and the linker kept either). Kept so that an
// include of it still compiles.
#pragma once

#include "core/error.h"
