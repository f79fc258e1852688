#include "base/error.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace braid {

void failErrno(const std::string& what) {
  const int error = errno;
  std::string message = what + ": " + std::strerror(error);
  struct rlimit limit {};
  if (error == EMFILE && ::getrlimit(RLIMIT_NOFILE, &limit) == 0)  // the cause users can act on
    message += " (the open file limit, ulimit -n, is " + std::to_string(limit.rlim_cur) + ")";
  fail(ncclSystemError, message);
}

}  // namespace braid
