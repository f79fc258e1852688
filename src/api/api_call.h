// The boundary between C callers and Braid's C++: every entry point runs its body through apiCall, which turns
// exceptions into NCCL result codes and keeps the message for ncclGetLastError.
#pragma once

#include <new>
#include <string>
#include <type_traits>

#include "base/error.h"
#include "base/log.h"
#include "nccl.h"
#include "runtime/communicator.h"

#define BRAID_API extern "C" __attribute__((visibility("default")))
// NCCL exports every entry point twice: ncclX and pncclX (for profilers that intercept ncclX).
#define BRAID_PROFILING_ALIAS(name) BRAID_API __typeof__(name) p##name __attribute__((alias(#name)))

namespace braid {

void noteApiError(ncclComm* comm, ncclResult_t code, const std::string& message);
const char* threadLastError();

// `body` returns nothing (success) or an ncclResult_t (e.g. ncclInProgress). While it runs, the call counts
// as a user of `comm`.
template <class Body>
ncclResult_t apiCall(ncclComm* comm, Body&& body) noexcept {
  CommUse use(comm);
  LogRankScope logRank(use.rank());
  try {
    if constexpr (std::is_same_v<decltype(body()), ncclResult_t>) {
      return body();
    } else {
      body();
      return ncclSuccess;
    }
  } catch (const Error& e) {
    noteApiError(comm, e.code(), e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    noteApiError(comm, ncclSystemError, "out of host memory");
    return ncclSystemError;
  } catch (const std::exception& e) {
    noteApiError(comm, ncclInternalError, e.what());
    return ncclInternalError;
  }
}

}  // namespace braid
