#!/usr/bin/env python3
"""Runs a test script as N real processes, with the environment torchrun would give them.

    launch.py --nranks 4 [--init env|tcp|file] [--timeout 300] [--expect-exit RANK=CODE] script.py [args...]

Every rank's output is shown, prefixed with its rank. Exits 0 when every rank exits as expected (0 unless
--expect-exit says otherwise), 1 otherwise; ranks still running at the timeout are killed and count as failed.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nranks", type=int, required=True)
    parser.add_argument("--init", choices=["env", "tcp", "file"], default="env")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--expect-exit", action="append", default=[], metavar="RANK=CODE")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    expected = {int(k): int(v) for k, v in (e.split("=") for e in options.expect_exit)}

    port = free_port()
    scratch = tempfile.mkdtemp(prefix="torch_braid_test_")
    init = {"env": "env://", "tcp": f"tcp://127.0.0.1:{port}",
            "file": f"file://{os.path.join(scratch, 'rendezvous')}"}[options.init]
    ranks = []
    for rank in range(options.nranks):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                   WORLD_SIZE=str(options.nranks), LOCAL_RANK=str(rank),
                   LOCAL_WORLD_SIZE=str(options.nranks), TORCH_BRAID_TEST_INIT=init)
        ranks.append(subprocess.Popen([sys.executable, options.script] + options.args, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))

    def relay(rank, process):
        for line in process.stdout:
            sys.stdout.write(f"[rank {rank}] {line}")
            sys.stdout.flush()

    relays = [threading.Thread(target=relay, args=(r, p)) for r, p in enumerate(ranks)]
    for t in relays:
        t.start()
    deadline = time.monotonic() + options.timeout
    failed = False
    for rank, process in enumerate(ranks):
        try:
            code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"launch.py: rank {rank} still running after {options.timeout:.0f} s; killing all ranks")
            for p in ranks:
                p.kill()
            code = process.wait()
        if code != expected.get(rank, 0):
            print(f"launch.py: rank {rank} exited with {code}, expected {expected.get(rank, 0)}")
            failed = True
    for t in relays:
        t.join()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
