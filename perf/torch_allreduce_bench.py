"""torch.distributed all_reduce (float32, sum) timed through one backend on the same sizes as collperf, printing
"bytes time_us algbw busbw" per line (mean over ranks, nccl-tests' busbw). perf/compare.sh runs it for "gloo" (a
baseline) and for "braid" (torch_braid, from PYTHONPATH=build/python).
Runs with the system PyTorch: /usr/bin/python3 perf/torch_allreduce_bench.py BACKEND NRANKS MIN_BYTES MAX_BYTES ITERS"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, backend, nranks, min_bytes, max_bytes, iters, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    if backend == "braid":
        import torch_braid  # noqa: F401  (registers the backend)
    dist.init_process_group(backend, rank=rank, world_size=nranks)
    # A fresh process runs its first calls 2-4x slower for about a second (the first sizes of a sweep showed
    # it): warm up for a second before timing anything. Rank 0 decides when, so every rank makes as many calls.
    warm = torch.zeros(1)
    start = time.perf_counter()
    while warm.item() == 0:
        warm.fill_(1.0 if rank == 0 and time.perf_counter() - start > 1.0 else 0.0)
        dist.all_reduce(warm)
    size = min_bytes
    while size <= max_bytes:
        count = max(1, size // 4)
        data = torch.ones(count, dtype=torch.float32)
        for _ in range(5):
            dist.all_reduce(data)
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(data)
        seconds = torch.tensor([(time.perf_counter() - start) / iters], dtype=torch.float64)
        dist.all_reduce(seconds)
        mean = seconds.item() / nranks
        algbw = count * 4 / mean / 1e9
        if rank == 0:
            print(f"{count * 4} {mean * 1e6:.2f} {algbw:.3f} {algbw * 2 * (nranks - 1) / nranks:.3f}", flush=True)
        size *= 2
    dist.destroy_process_group()


if __name__ == "__main__":
    backend = sys.argv[1]
    nranks, min_bytes, max_bytes, iters = (int(a) for a in sys.argv[2:6])
    port = 29000 + os.getpid() % 2000
    mp.spawn(run, args=(backend, nranks, min_bytes, max_bytes, iters, port), nprocs=nranks)
