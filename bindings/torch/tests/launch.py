#!/usr/bin/env python3
"""Runs a test script as N real processes, with the environment torchrun would give them.

    launch.py --nranks 4 [--init env|tcp|file] [--timeout 300] [--expect-exit RANK=CODE] script.py [args...]

Every rank's output is shown, prefixed with its rank. Exits 0 when every rank exits as expected (0 unless
--expect-exit says otherwise), 1 otherwise. A rank that exits unexpectedly fails the run at once (the others,
waiting on it, are killed); ranks still running at the timeout are killed and count as failed. The rendezvous
port lies outside the kernel's ephemeral range, where other tests' client sockets land; when rank 0 still finds
it taken before it could listen, the run starts again on another port (at most three times).
"""
import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    """A port that is free now, below the ephemeral range that connect() hands out to client sockets."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
    for _ in range(200):
        port = random.randint(max(1024, ephemeral_low - 12000), ephemeral_low - 1)
        with socket.socket() as s:
            try:
                s.bind(("", port))
                return port
            except OSError:
                continue
    sys.exit("launch.py: no free port below the ephemeral range")


def run(options, expected, port, scratch):
    """Starts every rank and waits for them; returns (failed, rank 0's output)."""
    init = {"env": "env://", "tcp": f"tcp://127.0.0.1:{port}",
            "file": f"file://{os.path.join(scratch, 'rendezvous')}"}[options.init]
    ranks = []
    for rank in range(options.nranks):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                   WORLD_SIZE=str(options.nranks), LOCAL_RANK=str(rank),
                   LOCAL_WORLD_SIZE=str(options.nranks), TORCH_BRAID_TEST_INIT=init)
        ranks.append(subprocess.Popen([sys.executable, options.script] + options.args, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    first_output = []

    def relay(rank, process):
        for line in process.stdout:
            if rank == 0:
                first_output.append(line)
            sys.stdout.write(f"[rank {rank}] {line}")
            sys.stdout.flush()

    relays = [threading.Thread(target=relay, args=(r, p)) for r, p in enumerate(ranks)]
    for t in relays:
        t.start()
    deadline = time.monotonic() + options.timeout
    failed = False
    done = set()
    while len(done) < len(ranks):
        for rank, process in enumerate(ranks):
            code = process.poll()
            if rank in done or code is None:
                continue
            done.add(rank)
            if code != expected.get(rank, 0):
                print(f"launch.py: rank {rank} exited with {code}, expected {expected.get(rank, 0)}")
                if not failed:
                    print("launch.py: killing the other ranks (they would wait on this one)")
                failed = True
        if failed or time.monotonic() > deadline:
            if not failed:
                print(f"launch.py: ranks still running after {options.timeout:.0f} s; killing them")
            for rank, process in enumerate(ranks):
                if rank not in done:
                    process.kill()
                    process.wait()
                    print(f"launch.py: rank {rank} killed")
                    done.add(rank)
            failed = True
        time.sleep(0.05)
    for t in relays:
        t.join()
    return failed, "".join(first_output)


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

    scratch = tempfile.mkdtemp(prefix="torch_braid_test_")
    for _ in range(3):
        failed, first_output = run(options, expected, free_port(), scratch)
        # c10d's TCPStore on rank 0: "The server socket has failed to bind ... (errno: 98 - Address already in
        # use)". Not the test's outcome: something took the port between the check and the listen.
        store_port_taken = "server socket has failed" in first_output and "Address already in use" in first_output
        if not (failed and store_port_taken and options.init != "file"):
            break
        print("launch.py: rank 0 found the rendezvous port taken; starting again on another port")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
