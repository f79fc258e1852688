// libFuzzer target: whatever bytes arrive where a bootstrap message or a unique id is expected are checked
// without crashing, reading out of bounds or trusting a field. The first byte picks the message kind.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/error.h"
#include "bootstrap/bootstrap_messages.h"
#include "bootstrap/unique_id.h"

namespace {

template <class Message>
Message fromBytes(const uint8_t* data, size_t size) {
  Message m;
  std::memset(static_cast<void*>(&m), 0, sizeof m);
  std::memcpy(static_cast<void*>(&m), data, size < sizeof m ? size : sizeof m);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint64_t secret = 0x0123456789abcdefull, nonce = 42;
  const uint8_t kind = data[0] % 6;
  ++data, --size;
  switch (kind) {
    case 0: braid::checkRootHello(fromBytes<braid::RootHello>(data, size), secret); break;
    case 1: {
      auto reply = fromBytes<braid::RootReply>(data, size);
      std::string problem = braid::checkRootReply(reply, secret, 4);
      if (problem.empty() && std::strlen(reply.message) >= sizeof reply.message) __builtin_trap();
      break;
    }
    case 2: braid::checkPeerHello(fromBytes<braid::PeerHello>(data, size), secret, nonce, 8); break;
    case 3: {
      auto status = fromBytes<braid::StatusReply>(data, size);
      braid::checkStatusReply(status, secret, 1);
      if (std::strlen(status.waiting) >= sizeof status.waiting) __builtin_trap();
      break;
    }
    case 5: {
      auto notice = fromBytes<braid::FailureNotice>(data, size);
      braid::checkFailureNotice(notice, secret, 2);
      if (std::strlen(notice.reason) >= sizeof notice.reason) __builtin_trap();
      break;
    }
    default:
      try {
        braid::UniqueIdContents id = braid::decodeUniqueId(fromBytes<ncclUniqueId>(data, size));
        (void)id.root.toString();
      } catch (const braid::Error&) {
      }
      break;
  }
  return 0;
}
