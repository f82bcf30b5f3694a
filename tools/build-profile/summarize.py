"""Summarizes tools/build-profile's compiler log: CPU seconds per module, and concurrency over time.

    python3 tools/build-profile/summarize.py LOG [--top N] [--step SECONDS]
"""
import argparse
import collections
import math
import re


def load(path):
    rows = []
    for line in open(path):
        parts = line.split()
        if len(parts) < 6:
            continue
        name = parts[0]
        if name.startswith("C:"):
            match = re.search(r"/Sources/([^/]+)", name)
            name = "C " + (match.group(1) if match else "other")
        start, end, wall, user, system = map(float, parts[1:6])
        rows.append((name, start, end, wall, user + system))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--step", type=float, default=60)
    args = parser.parse_args()
    rows = load(args.log)
    if not rows:
        raise SystemExit("no compiler runs in " + args.log)
    cpu = collections.Counter()
    for name, _, _, _, seconds in rows:
        cpu[name] += seconds
    t0 = min(row[1] for row in rows)
    t1 = max(row[2] for row in rows)
    total = sum(cpu.values())
    print(f"{len(rows)} compiler runs, {total:.0f} CPU s over {t1 - t0:.0f} s")
    print(f"{'module':40s} {'CPU s':>8s} {'share':>6s}")
    for name, seconds in cpu.most_common(args.top):
        print(f"{name:40s} {seconds:8.1f} {100 * seconds / total:5.1f}%")
    buckets = max(1, math.ceil((t1 - t0) / args.step))
    running = [0.0] * buckets
    busy = [0.0] * buckets
    for _, start, end, wall, seconds in rows:
        for bucket in range(int((start - t0) // args.step), min(buckets, int((end - t0) // args.step) + 1)):
            low = t0 + bucket * args.step
            overlap = max(0.0, min(end, low + args.step) - max(start, low))
            running[bucket] += overlap / args.step
            if wall > 0:
                busy[bucket] += seconds * overlap / wall / args.step
    print(f"\n{'from':>6s} {'compilers':>10s} {'cores busy':>11s}")
    for bucket in range(buckets):
        print(f"{bucket * args.step:5.0f}s {running[bucket]:10.2f} {busy[bucket]:11.2f}")


if __name__ == "__main__":
    main()
