"""Braid as a torch.distributed backend.

    import torch_braid                                  # registers backend "braid"
    torch.distributed.init_process_group("braid", ...)
"""
import torch
import torch.distributed as dist

from . import _C

__all__ = ["ProcessGroupBraid"]
ProcessGroupBraid = _C.ProcessGroupBraid

if getattr(dist.Backend, "BRAID", None) is None:
    import inspect

    # torch 2.x asks which devices a backend serves; 1.x has no such parameter.
    if "devices" in inspect.signature(dist.Backend.register_backend).parameters:
        dist.Backend.register_backend("braid", _C.create_process_group, devices=["cpu"])
    else:
        dist.Backend.register_backend("braid", _C.create_process_group)
