// Errors inside Braid are exceptions carrying an NCCL result code; the API layer turns them into return codes
// and the message behind ncclGetLastError.
#pragma once

#include <stdexcept>
#include <string>

#include "nccl.h"

namespace braid {

class Error : public std::runtime_error {
 public:
  // `breaksCommunicator`: the communicator is left unusable whatever the code (a stream half consumed), so
  // every later call on it fails until it is aborted, as after a remote error.
  Error(ncclResult_t code, const std::string& message, bool breaksCommunicator = false)
      : std::runtime_error(message), code_(code), breaksCommunicator_(breaksCommunicator) {}
  ncclResult_t code() const { return code_; }
  bool breaksCommunicator() const { return breaksCommunicator_; }

 private:
  ncclResult_t code_;
  bool breaksCommunicator_;
};

[[noreturn]] inline void fail(ncclResult_t code, const std::string& message) { throw Error(code, message); }

// Throws ncclSystemError with the text of errno.
[[noreturn]] void failErrno(const std::string& what);

}  // namespace braid
