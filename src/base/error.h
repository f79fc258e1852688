// Errors inside Braid are exceptions carrying an NCCL result code; the API layer turns them into return codes
// and the message behind ncclGetLastError.
#pragma once

#include <stdexcept>
#include <string>

#include "nccl.h"

namespace braid {

class Error : public std::runtime_error {
 public:
  Error(ncclResult_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ncclResult_t code() const { return code_; }

 private:
  ncclResult_t code_;
};

[[noreturn]] inline void fail(ncclResult_t code, const std::string& message) { throw Error(code, message); }

// Throws ncclSystemError with the text of errno.
[[noreturn]] void failErrno(const std::string& what);

}  // namespace braid
