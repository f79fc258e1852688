"""DistributedDataParallel training over Braid: the only change from a Gloo or NCCL script is the backend name.

    torchrun --nproc_per_node 4 ddp_train.py            # or any launcher that sets RANK, WORLD_SIZE, MASTER_*
    PYTHONPATH=<build>/python torchrun --nproc_per_node 2 ddp_train.py --backend gloo   # for comparison
"""
import argparse

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import torch_braid  # noqa: F401  (registers backend "braid")


def make_model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                               torch.nn.Linear(64, 4))


def batch(rank, step, size=16):
    """Each rank trains on its own shard of a synthetic regression task."""
    generator = torch.Generator().manual_seed(1000 * step + rank)
    x = torch.randn(size, 32, generator=generator)
    return x, x[:, :4] * 2 - x[:, 4:8]


def train(process_group, steps=5, seed=0, bucket_cap_mb=25):
    """Trains a small MLP with DDP over `process_group`; returns the model and the losses."""
    model = DistributedDataParallel(make_model(seed), process_group=process_group, bucket_cap_mb=bucket_cap_mb)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rank = dist.get_rank(process_group)
    losses = []
    for step in range(steps):
        x, y = batch(rank, step)
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()  # DDP all-reduces the gradients through the process group here
        optimizer.step()
        losses.append(loss.item())
    return model.module, losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="braid")
    parser.add_argument("--steps", type=int, default=20)
    options = parser.parse_args()
    dist.init_process_group(options.backend)
    _, losses = train(None, steps=options.steps)
    if dist.get_rank() == 0:
        print(f"{options.backend}: loss {losses[0]:.4f} -> {losses[-1]:.4f} after {options.steps} steps "
              f"on {dist.get_world_size()} ranks")
    dist.destroy_process_group()
