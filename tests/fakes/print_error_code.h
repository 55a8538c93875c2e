// Prints ErrorCode by name in GoogleTest failure messages.
#pragma once

#include <ostream>

#include "core/error.h"

namespace dss {

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << error_code_name(code); }

}  // namespace dss
