"""A peer that dies makes the survivors' operations fail: wait() raises instead of hanging (or the call itself,
when another survivor's failure notice came first)."""
import os
import time

import torch
import torch.distributed as dist

from harness import expect_raises, init

rank, n = init()
dead = n - 1
if rank == dead:
    os._exit(0)  # leaves without a word
start = time.monotonic()

def all_reduce_and_wait():
    dist.all_reduce(torch.ones(1 << 20), async_op=True).wait()


expect_raises(all_reduce_and_wait, "braid allreduce")
elapsed = time.monotonic() - start
assert elapsed < 15, f"noticing the dead peer took {elapsed:.1f} s"
expect_raises(lambda: dist.all_reduce(torch.ones(4)), "braid allreduce")
print(f"rank {rank}: the dead peer was noticed after {elapsed:.1f} s", flush=True)
dist.destroy_process_group()
