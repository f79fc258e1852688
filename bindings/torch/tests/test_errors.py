"""Bad input raises a RuntimeError naming the operation and the problem; nothing crashes or hangs, and the
process group stays usable after errors found before anything was sent."""
import time
from datetime import timedelta

import torch
import torch.distributed as dist

from harness import expect_equal, expect_raises, init


def local_mistakes(rank, n):
    # No CUDA here: a meta tensor stands in for any non-CPU device. (Inference mode drops the autograd keys for
    # which torch 1.13 registers no c10d kernel on meta tensors.) torch 2.x computes c10d calls on meta tensors
    # itself, without a backend, so the test hands the tensor to Braid's backend directly there.
    backend = dist.group.WORLD
    if hasattr(backend, "_get_backend"):
        backend = backend._get_backend(torch.device("cpu"))
    with torch.inference_mode():
        elsewhere = torch.ones(4, device="meta")
        expect_raises(lambda: backend.allreduce([elsewhere]).wait(), "braid allreduce", "meta", "CPU tensors only")
    expect_raises(lambda: dist.all_reduce(torch.ones(4, dtype=torch.int32), op=dist.ReduceOp.BAND),
                  "braid allreduce", "not supported", "bitwise")
    expect_raises(lambda: dist.all_reduce(torch.ones(4, dtype=torch.int16)), "braid allreduce", "torch.int16",
                  "not supported for reductions")
    expect_raises(lambda: dist.all_gather([torch.zeros(4)] * (n + 1), torch.ones(4)), "braid allgather",
                  f"{n} output tensors")
    expect_raises(lambda: dist.all_gather([torch.zeros(5) for _ in range(n)], torch.ones(4)), "braid allgather",
                  "5 elements where 4 are expected")
    expect_raises(lambda: dist.all_gather_into_tensor(torch.zeros(4 * n, dtype=torch.float64), torch.ones(4)),
                  "braid _allgather_base", "dtype")
    expect_raises(lambda: dist.all_to_all_single(torch.zeros(3 * n), torch.ones(3 * n), input_split_sizes=[1] * n),
                  "braid alltoall_base", "splits add up to")
    expect_raises(lambda: dist.recv(torch.zeros(0)), "braid recvAnysource", "empty")
    expect_raises(lambda: dist.all_reduce(torch.ones(2, 2).to_sparse(), op=dist.ReduceOp.MAX),
                  "sparse tensors are reduced with SUM only")
    expect_raises(lambda: backend.broadcast([torch.ones(2, 2).to_sparse()]).wait(), "only dense tensors")
    # Nothing was sent: the group still works.
    t = torch.ones(8)
    dist.all_reduce(t)
    expect_equal(t, torch.full((8,), float(n)), "all_reduce after refused calls")


def mismatched_calls(rank, n):
    # Sizes that differ between ranks: every rank gets an error naming the difference, none hangs.
    sizes = dist.new_group()
    t = torch.ones(10 if rank == 0 else 20)
    message = expect_raises(lambda: dist.all_reduce(t, group=sizes), "braid allreduce", "differs between ranks")
    assert "count 20" in message and "count 10" in message, message
    # The communicator is broken from then on, and says so.
    expect_raises(lambda: dist.all_reduce(torch.ones(10), group=sizes), "braid allreduce")
    # Dtypes that differ, found while the operation runs: wait() raises.
    dtypes = dist.new_group()
    t = torch.ones(16, dtype=torch.float32 if rank == 0 else torch.float64)
    work = dist.all_reduce(t, group=dtypes, async_op=True)
    expect_raises(work.wait, "braid allreduce failed", "differs between ranks", "float")


def stalled_peer(rank, n):
    # init_process_group's / new_group's timeout bounds how long an operation waits for its peers.
    stalled = dist.new_group(timeout=timedelta(seconds=2))
    if rank == 0:
        start = time.monotonic()
        expect_raises(lambda: dist.all_reduce(torch.ones(4), group=stalled), "braid allreduce", "no progress for 2 s")
        elapsed = time.monotonic() - start
        assert elapsed < 10, f"the 2 s timeout took {elapsed:.1f} s"
    dist.barrier()  # the default group is unaffected


if __name__ == "__main__":
    rank, n = init()
    for check in (local_mistakes, mismatched_calls, stalled_peer):
        check(rank, n)
        if rank == 0:
            print(f"{check.__name__}: ok", flush=True)
    dist.destroy_process_group()
