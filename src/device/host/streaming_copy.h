// Copies whose destination will not be read soon (large collective outputs): non-temporal stores go to memory
// without first reading each destination line into the cache, and do not evict what the reduction still uses.
#pragma once

#include <cstddef>

namespace braid {

void copyStreaming(void* dst, const void* src, size_t bytes);
// Orders earlier streaming stores before later stores (a flag that tells a peer the data is there).
void fenceStreaming();

}  // namespace braid
