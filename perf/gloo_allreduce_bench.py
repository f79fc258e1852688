"""Gloo baseline for perf/compare.sh: torch.distributed all_reduce (float32, sum) over Gloo on the same sizes as
collperf, printing "bytes time_us algbw busbw" per line (mean over ranks, nccl-tests' busbw). Runs with the
system PyTorch: /usr/bin/python3 perf/gloo_allreduce_bench.py NRANKS MIN_BYTES MAX_BYTES ITERS"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, nranks, min_bytes, max_bytes, iters, port):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=nranks)
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
    nranks, min_bytes, max_bytes, iters = (int(a) for a in sys.argv[1:5])
    port = 29000 + os.getpid() % 2000
    mp.spawn(run, args=(nranks, min_bytes, max_bytes, iters, port), nprocs=nranks)
