#!/usr/bin/env python3
"""ref_eval.py - how fast is the reference evaluator (the oracle)?

Times `syno run --backend ref` on a few operators, forward only and forward
plus backward (--grad random), median of REPS runs after one warm-up, and
prints terms per second (a term is one output element times one reduction
point; the evaluator visits each once per pass) and the backward/forward
time ratio side by side.  It measures, never judges: use it to size tests
that call the oracle.

    python3 bench/ref_eval.py [--syno build/syno] [--reps 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import time

CASES = [
    ("conv2d", "N=2,C_in=16,C_out=32,H=28,W=28,k=3"),
    ("group_conv2d", "N=2,C_in=32,C_out=32,H=28,W=28,k=3,g=4"),
    ("syno_op1", "N=2,C_in=16,C_out=32,H=14,W=14,k=3,g=4"),
    ("pooled_conv2d", "N=2,C_in=16,C_out=32,H=28,W=28,k=3"),
]


def median_time(cmd, reps):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--syno", default=os.path.join(here, "..", "build", "syno"))
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    print(f"{'operator':<15} {'terms':>10} {'fwd s':>8} {'Mterms/s':>9} {'fwd+bwd s':>10} {'bwd/fwd':>8}")
    for op, bind in CASES:
        ex = json.loads(subprocess.run([a.syno, "explain", "--json", op, "--bind", bind], check=True,
                                       capture_output=True, text=True).stdout)
        terms = ex["flops"] // (1 + len(ex["weights"]))  # direct FLOPs = tensors x terms (+ outputs for a mean)
        run = [a.syno, "run", op, "--bind", bind]
        fwd = median_time(run, a.reps)
        both = median_time(run + ["--grad", "random"], a.reps)
        print(f"{op:<15} {terms:>10.3g} {fwd:>8.3f} {terms / fwd / 1e6:>9.1f} {both:>10.3f} {(both - fwd) / fwd:>8.2f}")


if __name__ == "__main__":
    main()
