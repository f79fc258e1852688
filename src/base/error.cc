#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace braid {

void failErrno(const std::string& what) { fail(ncclSystemError, what + ": " + std::strerror(errno)); }

}  // namespace braid
