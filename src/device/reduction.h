// What a reduction computes, the same for every device's kernels.
#pragma once

namespace braid {

enum class ReduceKind { Sum, Prod, Max, Min };

}  // namespace braid
