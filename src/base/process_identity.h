// Which process this is, and whether another one still is.
//
// A communicator belongs to the process that created it: its sockets, shared memory and helper threads are that
// process's, and a forked child that used its copies would step into the parent's conversations. Objects record
// the generation they were made in and refuse a child.
#pragma once

#include <cstdint>

namespace braid {

// Changes in the child of every fork (a pthread_atfork handler); one atomic load, no system call.
uint64_t processGeneration();

// The inode of this process's pid namespace (0 where /proc does not tell): a pid names a process only within
// its namespace, so whoever judges a pid alive or dead must be in the same one.
uint64_t pidNamespace();

// Whether the process `pid` (of this pid namespace) has exited: no such pid, or a zombie its parent has not
// reaped yet (a launcher that has not looked). A live process of another user counts as alive.
bool processExited(int32_t pid);

}  // namespace braid
