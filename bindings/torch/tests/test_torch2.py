"""What torch 2.x asks of a backend beyond the operations (4 ranks): split_group and new_subgroups, DeviceMesh and
DTensor, FSDP2 on a 2x2 mesh against Gloo, coalescing, per-call and group timeouts, abort, shutdown, shrink_group.
Every result is compared element by element (FSDP2's losses within float rounding: Gloo adds in another order)."""
import os
import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import DeviceMesh, init_device_mesh
from torch.distributed.tensor import Replicate, Shard, distribute_tensor

import torch_braid
from harness import expect_close, expect_equal, expect_raises, init

CPU = torch.device("cpu")


def braid_backend(group):
    backend = group._get_backend(CPU)
    assert isinstance(backend, torch_braid.ProcessGroupBraid), f"{type(backend).__name__} serves the group"
    return backend


def test_split_group(rank, n):
    halves = [[0, 1], [2, 3]]
    group = dist.split_group(split_ranks=halves)
    braid_backend(group)  # split from the default group's communicator, still Braid
    mine = halves[rank // 2]
    t = torch.full((1000,), float(rank + 1))
    dist.all_reduce(t, group=group)
    expect_equal(t, torch.full((1000,), float(sum(r + 1 for r in mine))), "all_reduce in a split group")
    assert dist.get_process_group_ranks(group) == mine
    # Ranks in a new order: the list's order is the numbering.
    reversed_group = dist.split_group(split_ranks=[[3, 2, 1, 0]])
    assert reversed_group.rank() == 3 - rank, (reversed_group.rank(), rank)
    t = torch.tensor([float(rank)])
    dist.broadcast(t, group_src=0, group=reversed_group)
    expect_equal(t, torch.tensor([3.0]), "broadcast from the first rank of a reordered split")
    # new_subgroups: consecutive pairs.
    subgroup, _ = dist.new_subgroups(group_size=2)
    t = torch.ones(10)
    dist.all_reduce(t, group=subgroup)
    expect_equal(t, torch.full((10,), 2.0), "all_reduce in new_subgroups")


def test_device_mesh_and_dtensor(rank, n):
    mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
    for name in ("dp", "tp"):
        braid_backend(mesh.get_group(name))
    full = torch.arange(8 * 6, dtype=torch.float32).reshape(8, 6)
    sharded = distribute_tensor(full, mesh, [Shard(0), Shard(1)])
    expect_equal(sharded.to_local(), full.chunk(2, 0)[rank // 2].chunk(2, 1)[rank % 2], "a rank's shard")
    # Across both mesh dimensions: gather along dp, reshard along tp.
    moved = sharded.redistribute(mesh, [Replicate(), Shard(0)])
    expect_equal(moved.to_local(), full.chunk(2, 0)[rank % 2], "redistribute [Shard(0), Shard(1)] -> [R, Shard(0)]")
    expect_equal(moved.full_tensor(), full, "full_tensor")
    partial_sum = (sharded * 2).sum()  # a reduction across the mesh
    expect_equal(partial_sum.full_tensor(), full.sum() * 2, "sum of a sharded DTensor")


class SmallTransformer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = torch.nn.Linear(8, 16)
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
            for _ in range(2))
        self.head = torch.nn.Linear(16, 1)

    def forward(self, x):
        x = self.embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.head(x).mean()


def train_fsdp2(mesh, rank, steps=4):
    from torch.distributed.fsdp import fully_shard
    model = SmallTransformer()
    for layer in model.layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for step in range(steps):
        generator = torch.Generator().manual_seed(100 * step + rank)
        x = torch.randn(4, 5, 8, generator=generator)
        loss = (model(x) - 1.0) ** 2
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.detach())
    return torch.stack(losses)


def test_fsdp2_against_gloo(rank, n):
    # HSDP on a 2x2 mesh: replicated along dp, sharded along tp; the same model and data over a mesh of Gloo groups.
    braid_mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
    layout = torch.arange(4).reshape(2, 2)
    gloo_dp = [dist.new_group(layout[:, c].tolist(), backend="gloo") for c in range(2)][rank % 2]
    gloo_tp = [dist.new_group(layout[r].tolist(), backend="gloo") for r in range(2)][rank // 2]
    gloo_mesh = DeviceMesh.from_group([gloo_dp, gloo_tp], "cpu", mesh=layout, mesh_dim_names=("dp", "tp"))
    braid_losses = train_fsdp2(braid_mesh, rank)
    gloo_losses = train_fsdp2(gloo_mesh, rank)
    # Gloo and Braid add the gradients in different orders: equal to float32 rounding.
    expect_close(braid_losses, gloo_losses, "FSDP2 losses, braid against gloo", rtol=1e-5, atol=1e-6)
    assert braid_losses[-1] < braid_losses[0], f"FSDP2 did not train: {braid_losses.tolist()}"


def test_coalescing(rank, n):
    tensors = [torch.full((100 + i,), float(rank + i)) for i in range(3)]
    with dist._coalescing_manager(async_ops=True) as manager:
        for t in tensors:
            dist.all_reduce(t)
    manager.wait()
    for i, t in enumerate(tensors):
        expect_equal(t, torch.full((100 + i,), float(sum(r + i for r in range(n)))), f"coalesced all_reduce #{i}")


def test_timeouts_abort_shutdown(rank, n):
    # A per-call timeout: rank 0's all_reduce that nobody joins fails after about 1 s, though the group allows 5 min.
    group = dist.new_group(timeout=timedelta(minutes=5))
    if rank == 0:
        options = dist.AllreduceOptions()
        options.timeout = timedelta(seconds=1)
        start = time.monotonic()
        expect_raises(lambda: group.allreduce([torch.ones(4)], options).wait(), "Timed out ")
        assert time.monotonic() - start < 20, f"a 1 s timeout took {time.monotonic() - start:.1f} s"
    # The group's timeout, changed after it was made.
    group = dist.new_group(timeout=timedelta(minutes=5))
    dist.distributed_c10d._set_pg_timeout(timedelta(seconds=1), group)
    if rank == 1:
        expect_raises(lambda: dist.all_reduce(torch.ones(4), group=group), "Timed out ")
    # abort: an operation that waits for peers fails at once, and the group refuses later ones.
    group = dist.new_group()
    if rank == 0:
        work = dist.all_reduce(torch.ones(4), group=group, async_op=True)
        time.sleep(0.2)
        start = time.monotonic()
        group.abort()
        expect_raises(work.wait, "braid allreduce failed")
        assert time.monotonic() - start < 10, f"abort took {time.monotonic() - start:.1f} s"
        expect_raises(lambda: dist.all_reduce(torch.ones(4), group=group), "aborted")
    # shutdown: operations finish first, later ones are refused.
    group = dist.new_group()
    t = torch.ones(4)
    work = dist.all_reduce(t, group=group, async_op=True)
    group.shutdown()
    work.wait()
    expect_equal(t, torch.full((4,), float(n)), "all_reduce finished by shutdown")
    expect_raises(lambda: dist.all_reduce(torch.ones(4), group=group), "shut down")
    dist.barrier()


def test_shrink_group(rank, n):
    # Last: shrinking the default group replaces it. Rank 3 leaves; the others go on without it.
    store = dist.distributed_c10d._get_default_store()
    if rank == n - 1:
        store.wait(["shrunk"], timedelta(seconds=120))
        os._exit(0)  # its communicator is no longer anyone's peer
    smaller = dist.shrink_group([n - 1])
    assert smaller.size() == n - 1 and dist.get_world_size() == n - 1, (smaller.size(), dist.get_world_size())
    braid_backend(smaller)
    t = torch.full((1000,), float(rank + 1))
    dist.all_reduce(t)
    expect_equal(t, torch.full((1000,), float(sum(range(1, n)))), "all_reduce after shrink_group")
    if rank == 0:
        store.set("shrunk", "1")


TESTS = [test_split_group, test_device_mesh_and_dtensor, test_fsdp2_against_gloo, test_coalescing,
         test_timeouts_abort_shutdown, test_shrink_group]

if __name__ == "__main__":
    rank, n = init()
    assert n == 4, "runs on 4 ranks"
    selected = sys.argv[1:]
    for test in TESTS:
        if selected and test.__name__ not in selected:
            continue
        test(rank, n)
        if rank == 0:
            print(f"{test.__name__}: ok", flush=True)
    dist.destroy_process_group()
