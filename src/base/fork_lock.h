// A lock that fork() takes first (a pthread_atfork handler), for threads that run while their process may fork.
//
// A child inherits every lock as it was at the fork, with none of the threads that held them: a thread that was
// inside malloc (AddressSanitizer's allocator has no fork handler), or holding the log's lock, leaves the child
// stuck the first time it needs that lock. The bootstrap root is such a thread: ncclGetUniqueId starts it, then
// a launcher (collperf -np, the test harness, a user's script) forks the ranks, while the root already serves
// the first of them. It holds this lock whenever it is not waiting in poll(), so a fork happens only while it
// waits, holding nothing.
#pragma once

#include <mutex>

namespace braid {

std::mutex& forkLock();

}  // namespace braid
