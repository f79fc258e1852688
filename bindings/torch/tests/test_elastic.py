"""The elastic example as a test: 4 ranks, rank 0 (which also hosts torch's store) SIGKILLed at step 8 of 16; the
survivors find it gone, shrink and finish.
Then an uninterrupted 3-rank run starts from the checkpoint the survivors reloaded; both must end with the same
model (the global batch and its sum do not depend on the number of ranks; the 3-rank reductions are the same).

    python test_elastic.py      (with torch_braid importable, as CTest runs it)
"""
import os
import subprocess
import sys
import tempfile

import torch

here = os.path.dirname(os.path.abspath(__file__))
example = os.path.join(here, "..", "examples", "elastic_train.py")
launch = os.path.join(here, "launch.py")


def run(nranks, *args, expect=()):
    command = [sys.executable, launch, "--nranks", str(nranks), "--timeout", "120"]
    for e in expect:
        command += ["--expect-exit", e]
    result = subprocess.run(command + [example, "--steps", "16", "--kill-step", "8"] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(result.stdout, flush=True)
    assert result.returncode == 0, f"{nranks}-rank run failed"
    return result.stdout


with tempfile.TemporaryDirectory() as scratch:
    checkpoint, elastic, steady = (os.path.join(scratch, name) for name in ("checkpoint", "elastic", "steady"))
    out = run(4, "--kill-rank", "0", "--save-checkpoint", checkpoint, "--save-final", elastic, expect=["0=-9"])
    assert "rank(s) [0] gone" in out and "shrank to 3 ranks" in out and "3 ranks at the end" in out, out
    run(3, "--kill-rank", "-1", "--resume-from", checkpoint, "--save-final", steady)
    a, b = torch.load(elastic), torch.load(steady)
    for name in a:
        assert torch.allclose(a[name], b[name], rtol=1e-6, atol=1e-7), \
            f"{name} differs by {(a[name] - b[name]).abs().max().item()} after the elastic and the steady run"
    print("the elastic run ended with the model of an uninterrupted 3-rank run from the same checkpoint")
