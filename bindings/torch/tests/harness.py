"""Shared by the torch_braid tests: joins the process group the way the launcher asked, and checks results."""
import os
import warnings
from datetime import timedelta

import torch
import torch.distributed as dist

import torch_braid  # noqa: F401  (registers backend "braid")

# The tests call the deprecated coalesced APIs on purpose.
warnings.filterwarnings("ignore", message=".*will be deprecated.*")


def init(timeout=timedelta(minutes=5)):
    """Joins the default group through the launcher's init method (env://, tcp:// or file://)."""
    method = os.environ.get("TORCH_BRAID_TEST_INIT", "env://")
    if method == "env://":
        dist.init_process_group("braid", timeout=timeout)  # torchrun's variables are enough
    else:
        dist.init_process_group("braid", init_method=method, rank=int(os.environ["RANK"]),
                                world_size=int(os.environ["WORLD_SIZE"]), timeout=timeout)
    return dist.get_rank(), dist.get_world_size()


def _mismatch(actual, expected, what, equal):
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        raise AssertionError(f"{what}: got {actual.dtype} {tuple(actual.shape)}, "
                             f"expected {expected.dtype} {tuple(expected.shape)}")
    wrong = (~equal).nonzero()
    if len(wrong):
        first = tuple(wrong[0].tolist())
        raise AssertionError(f"{what}: {len(wrong)} of {actual.numel()} elements differ; first at {first}: "
                             f"got {actual[first].item()}, expected {expected[first].item()}")


def expect_equal(actual, expected, what):
    """Every element must match exactly."""
    _mismatch(actual, expected, what, actual == expected if actual.shape == expected.shape else None)


def expect_close(actual, expected, what, rtol, atol):
    """Every element must match within the tolerances (for arithmetic that rounds)."""
    close = None
    if actual.shape == expected.shape:
        close = torch.isclose(actual.double(), expected.double(), rtol=rtol, atol=atol)
    _mismatch(actual, expected, what, close)


def expect_raises(fn, *fragments):
    """fn must raise RuntimeError whose message contains every fragment."""
    try:
        fn()
    except RuntimeError as e:
        message = str(e)
        missing = [f for f in fragments if f not in message]
        if missing:
            raise AssertionError(f"error message lacks {missing}: {message}")
        return message
    raise AssertionError(f"expected a RuntimeError mentioning {fragments}")
