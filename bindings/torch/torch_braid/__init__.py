"""Braid as a torch.distributed backend.

    import torch_braid                                  # registers backend "braid"
    torch.distributed.init_process_group("braid", ...)
    gone = torch_braid.failed_ranks(group)              # after a failure: the ranks whose process is gone
    smaller = torch_braid.shrink(group, gone)           # the survivors' group
"""
import torch
import torch.distributed as dist

from . import _C

__all__ = ["ProcessGroupBraid", "failed_ranks", "shrink"]
ProcessGroupBraid = _C.ProcessGroupBraid


def _braid_backend(group, call):
    if isinstance(group, ProcessGroupBraid):
        return group
    backend = group._get_backend(torch.device("cpu"))  # torch 2.x wraps backends in a ProcessGroup
    if not isinstance(backend, ProcessGroupBraid):
        raise TypeError(f"torch_braid.{call} needs a group of backend \"braid\", not {type(backend).__name__}")
    return backend


def failed_ranks(group, seconds=1.0):
    """The ranks of `group` whose process is gone: this rank asks each peer's process directly (no store or other
    central service), and one that has exited or does not answer within `seconds` is gone. For the list that
    `shrink` takes; every survivor asks on its own and, after a crash, finds the same ranks."""
    return _braid_backend(group, "failed_ranks").failed_ranks(float(seconds))


def shrink(group, exclude_ranks):
    """The group of the ranks of `group` not in `exclude_ranks`, numbered in their order (ncclCommShrink with
    NCCL_SHRINK_ABORT: operations under way on `group` fail at once, dead ranks are never waited for).

    Every rank not excluded calls it with the same list. `group` is a "braid" process group (torch 1.x) or a
    ProcessGroup whose CPU backend is Braid's (torch 2.x); afterwards it is only good for being dropped. The result
    is a ProcessGroupBraid: call its operations directly (``smaller.allreduce([t]).wait()``), or hand it to
    DistributedDataParallel(process_group=...) on torch 1.x. See docs/fault-tolerance.md.
    """
    backend = _braid_backend(group, "shrink")
    return backend.shrink(sorted(int(r) for r in exclude_ranks))


if getattr(dist.Backend, "BRAID", None) is None:
    import inspect

    # torch 2.x asks which devices a backend serves; 1.x has no such parameter.
    if "devices" in inspect.signature(dist.Backend.register_backend).parameters:
        dist.Backend.register_backend("braid", _C.create_process_group, devices=["cpu"])
    else:
        dist.Backend.register_backend("braid", _C.create_process_group)
