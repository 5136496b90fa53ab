#!/usr/bin/env python3
"""Summarises Google Benchmark JSON (run with repetitions): median and min-max per benchmark, and the
ratio of each benchmark's median to a baseline's median from the same run.

usage: report.py RESULTS.json BASELINE [BASELINE ...]
A BASELINE is either a name, or PREFIX:BASELINE_PREFIX pairing the benchmarks whose names start with
PREFIX with the baseline of the same name after that prefix
(e.g. loop_ping_pong:asio_channel_ping_pong).
Several pairs may share a PREFIX: the benchmark then gets a ratio to each of their baselines.
A benchmark without a pair is compared with the first plain baseline whose name shares its argument
suffix (e.g. "/1000"), else with the first plain baseline.
"""
import json
import statistics
import sys


def describe_ratio(ratio: float) -> str:
    """Time ratio to a baseline, with the speed-up spelled out when it is large (0.0228x reads
    better as 43.9x faster)."""
    text = f"{ratio:.3g}x"
    return text + f" ({1 / ratio:.1f}x faster)" if ratio < 0.5 else text


def main() -> None:
    data = json.load(open(sys.argv[1]))
    pairs = [a.split(":", 1) for a in sys.argv[2:] if ":" in a]
    baselines = [a for a in sys.argv[2:] if ":" not in a]
    runs: dict[str, list[dict]] = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        runs.setdefault(b["run_name"], []).append(b)

    def median(name: str) -> float:
        return statistics.median(r["real_time"] for r in runs[name])

    def baseline_for(name: str) -> str | list[str] | None:
        paired = []
        for prefix, base_prefix in pairs:
            if name.startswith(prefix) and base_prefix + name[len(prefix):] in runs:
                paired.append(base_prefix + name[len(prefix):])
            elif name.startswith(base_prefix) and not paired:
                return name
        if paired:
            return paired
        suffix = name[name.find("/"):] if "/" in name else ""
        for base in baselines:
            if base + suffix in runs:
                return base + suffix
        return baselines[0] if baselines and baselines[0] in runs else None

    print(f"{'benchmark':58} {'median':>10} {'min':>10} {'max':>10}  ratio to baseline  counters")
    for name, reps in runs.items():
        times = [r["real_time"] for r in reps]
        unit = reps[0]["time_unit"]
        base = baseline_for(name)
        if base is None:
            ratio = "(no baseline)"
        elif base == name:
            ratio = "(baseline)"
        else:
            ratio = ", ".join(describe_ratio(median(name) / median(b)) + f" {b}"
                              for b in ([base] if isinstance(base, str) else base))
        skip = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                "per_family_instance_index", "aggregate_name", "aggregate_unit", "label"}
        counters = {k: statistics.median(r[k] for r in reps) for k in reps[0] if k not in skip}
        extra = " ".join(f"{k}={v:.4g}" for k, v in counters.items())
        print(f"{name:58} {statistics.median(times):>8.1f}{unit} {min(times):>8.1f}{unit} "
              f"{max(times):>8.1f}{unit}  {ratio}  {extra}")


if __name__ == "__main__":
    main()
