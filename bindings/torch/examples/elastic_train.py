"""Elastic training over Braid: the ranks train a small model; one is SIGKILLed in the middle; the survivors see
their all-reduce fail, each finds on its own who is gone (torch_braid.failed_ranks asks every peer's process: no
store or other central service, so any rank may die, rank 0 included), shrink the group (torch_braid.shrink),
reload the in-memory checkpoint of the step that failed and finish with the ranks that are left. The new rank 0
prints what happened and the loss curve.

    python bindings/torch/tests/launch.py --nranks 4 --expect-exit 3=-9 bindings/torch/examples/elastic_train.py

The global batch (48 samples per step) is split over however many ranks there are, and each step all-reduces the
sum of the ranks' gradients, so the training computes the same whatever the number of ranks: a run that resumes
from the checkpoint with the survivors only (--resume-from) must end with the same model, which the test
bindings/torch/tests/test_elastic.py checks. torch 1.x: the group objects are torch ProcessGroups.
"""
import argparse
import copy
import os
import signal
import time

import torch
import torch.distributed as dist

import torch_braid

GLOBAL_BATCH = 48  # divisible by 4, 3, 2 and 1 ranks


def make_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4))


def shard(step, rank, world):
    """This rank's share of the step's global batch: the same samples whatever the number of ranks."""
    generator = torch.Generator().manual_seed(step)
    x = torch.randn(GLOBAL_BATCH, 16, generator=generator)
    y = torch.sin(x[:, :4]) + 0.5 * x[:, 4:8]
    per_rank = GLOBAL_BATCH // world
    return x[rank * per_rank:(rank + 1) * per_rank], y[rank * per_rank:(rank + 1) * per_rank]


def train_step(model, optimizer, group, step):
    """One step: local gradients of this rank's shard, summed over the group in one all-reduce with the loss."""
    x, y = shard(step, group.rank(), group.size())
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).sum() / (GLOBAL_BATCH * y.shape[1])  # this shard's part of the global mean
    loss.backward()
    params = list(model.parameters())
    flat = torch.cat([p.grad.reshape(-1) for p in params] + [loss.detach().reshape(1)])
    group.allreduce([flat]).wait()  # raises RuntimeError when a rank of the group died
    offset = 0
    for p in params:
        p.grad.copy_(flat[offset:offset + p.numel()].view_as(p))
        offset += p.numel()
    optimizer.step()
    return flat[-1].item()


def snapshot(model, optimizer, step):
    return {"step": step, "model": copy.deepcopy(model.state_dict()),
            "optimizer": copy.deepcopy(optimizer.state_dict())}


def restore(model, optimizer, checkpoint):
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--kill-rank", type=int, default=3, help="the rank that SIGKILLs itself (-1: none)")
    parser.add_argument("--kill-step", type=int, default=12)
    parser.add_argument("--probe-seconds", type=float, default=1.0,
                        help="how long a peer may take to answer before it counts as gone")
    parser.add_argument("--save-checkpoint", help="rank 0 saves the checkpoint it reloads after the shrink here")
    parser.add_argument("--resume-from", help="start from a checkpoint saved with --save-checkpoint")
    parser.add_argument("--save-final", help="rank 0 saves the final model here")
    options = parser.parse_args()

    dist.init_process_group("braid")
    group = dist.group.WORLD
    me = dist.get_rank()  # the rank at start: names this process in the log
    members = list(range(dist.get_world_size()))  # the starting ranks still in the group, in group order
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    step = 0
    if options.resume_from:
        checkpoint = torch.load(options.resume_from)
        restore(model, optimizer, checkpoint)
        step = checkpoint["step"]
    losses = {}
    while step < options.steps:
        checkpoint = snapshot(model, optimizer, step)
        if me == options.kill_rank and step == options.kill_step:
            os.kill(os.getpid(), signal.SIGKILL)
        try:
            losses[step] = train_step(model, optimizer, group, step)
            step += 1
        except RuntimeError as error:
            detected = time.monotonic()
            reason = str(error).splitlines()[0]
            failed = torch_braid.failed_ranks(group, options.probe_seconds)  # in this group's numbering
            found = time.monotonic()
            group = torch_braid.shrink(group, failed)
            shrunk = time.monotonic()
            gone = [members[r] for r in failed]
            members = [m for i, m in enumerate(members) if i not in failed]
            restore(model, optimizer, checkpoint)
            if group.rank() == 0:
                print(f"step {step}: the all-reduce failed ({reason}); starting rank(s) {gone} gone (found in "
                      f"{(found - detected) * 1000:.1f} ms); shrank to {group.size()} ranks in "
                      f"{(shrunk - found) * 1000:.1f} ms; reloaded the checkpoint of step {step}", flush=True)
                if options.save_checkpoint:
                    torch.save(checkpoint, options.save_checkpoint)
    if group.rank() == 0:
        curve = " ".join(f"{s}:{loss:.4f}" for s, loss in sorted(losses.items()))
        print(f"{group.size()} ranks at the end; loss per step: {curve}", flush=True)
        if options.save_final:
            torch.save(model.state_dict(), options.save_final)
    del group  # a shrunk group goes with its last reference; the default one (revoked, if one was made) here
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
