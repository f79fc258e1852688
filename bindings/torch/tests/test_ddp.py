"""DDP over Braid ends with the same parameters as DDP over Gloo, from the same start and data."""
import os
import sys

import torch
import torch.distributed as dist

from harness import expect_close, init

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from ddp_train import train  # noqa: E402

rank, n = init()
gloo = dist.new_group(backend="gloo")
steps = 6
# Small buckets: several all-reduces per step, in flight together.
braid_model, braid_losses = train(None, steps=steps, bucket_cap_mb=0.01)
gloo_model, gloo_losses = train(gloo, steps=steps, bucket_cap_mb=0.01)
for (name, p), q in zip(braid_model.named_parameters(), gloo_model.parameters()):
    # Gradients are sums of 2-4 float32 terms added in a different order: equal to rounding.
    expect_close(p.detach(), q.detach(), f"parameter {name} after {steps} steps", rtol=1e-5, atol=1e-6)
expect_close(torch.tensor(braid_losses), torch.tensor(gloo_losses), "losses step by step", rtol=1e-5, atol=1e-6)
# Every rank ends with the same parameters.
for p in braid_model.parameters():
    copies = [torch.empty_like(p) for _ in range(n)]
    dist.all_gather(copies, p.detach().contiguous())
    assert all(torch.equal(c, copies[0]) for c in copies), "ranks disagree"
if rank == 0:
    print(f"DDP over braid matches gloo after {steps} steps; loss {braid_losses[0]:.4f} -> {braid_losses[-1]:.4f}")
dist.destroy_process_group()
