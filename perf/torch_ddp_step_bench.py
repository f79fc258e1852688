"""Step time of DistributedDataParallel on a small MLP (3 layers of 1024, 3.1 M parameters, batch 32 per rank)
through one backend: prints "ddp <median step ms>" (the median over ranks of each rank's median of STEPS steps,
after 5 warm-up steps). perf/torch2_compare.sh runs it for "gloo" and "braid".
usage: python perf/torch_ddp_step_bench.py BACKEND NRANKS STEPS"""
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, backend, nranks, steps, port):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    if backend == "braid":
        import torch_braid  # noqa: F401  (registers the backend)
    dist.init_process_group(backend, rank=rank, world_size=nranks)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024),
                                torch.nn.ReLU(), torch.nn.Linear(1024, 1024))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.01)
    x, y = torch.randn(32, 1024), torch.randn(32, 1024)
    times = []
    for step in range(5 + steps):
        start = time.perf_counter()
        loss = torch.nn.functional.mse_loss(ddp(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step >= 5:
            times.append(time.perf_counter() - start)
    mine = torch.tensor([statistics.median(times)], dtype=torch.float64)
    gathered = [torch.zeros(1, dtype=torch.float64) for _ in range(nranks)]
    dist.all_gather(gathered, mine)
    if rank == 0:
        print(f"ddp {statistics.median(t.item() for t in gathered) * 1e3:.2f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    backend = sys.argv[1]
    nranks, steps = int(sys.argv[2]), int(sys.argv[3])
    port = 29000 + os.getpid() % 2000
    mp.spawn(run, args=(backend, nranks, steps, port), nprocs=nranks)
