#!/usr/bin/env python3
"""HTTP plaintext benchmark driver: servers against bench/http_load, repeated and interleaved.

usage: http_bench.py --build-dir DIR [--repetitions 5] [--duration-ms 3000] [options]
                     -- NAME=COMMAND [NAME=COMMAND ...]

Each NAME=COMMAND is a server command line containing {port} (and optionally {build}, replaced by
--build-dir), e.g.
    uring='{build}/bench/baselines/uring_server {port}'
    weft='{build}/examples/http_server/http_server --port {port} --threads 1'
The first server named is the baseline the others are compared with.

For every repetition, the (server, pipeline depth) runs are shuffled; each run starts a fresh server
pinned to --server-cpu (taskset), waits until its port accepts, runs http_load pinned to
--client-cpu with --connections keep-alive connections, the given pipeline depth and the
--client-engine I/O engine, and stops the server (SIGTERM to its process group, SIGKILL after 3 s).
The default engine is uring: on loopback the client pays for its own sends much as the server
does, and http_load's io_uring engine (one io_uring_enter per pass for every connection's sends
and received responses) costs it markedly less CPU per request than its epoll engine (one read and
one send per connection per pass), leaving the server as the bottleneck more often.
The engine also shapes the load. The uring engine submits the requests of a whole pass in one
io_uring_enter, so they reach the server in bursts; servers that batch completions (io_uring with
DEFER_TASKRUN: uring_server, weft) turn a burst into one wakeup and cost much less per request,
while servers doing a read and a write per connection per event (epoll_server, asio_server) gain
little. Server ratios therefore differ between engines: compare servers under one engine only,
and use --client-engine epoll for the wrk-like pacing (one send per response as it is read) of
results taken before the uring engine existed.

Server CPU time is the sum of the first field of /proc/PID/task/*/schedstat (nanoseconds on CPU)
over the server process and its descendants, sampled when http_load prints "measuring" (end of its
warmup) and "measured" (end of its window; it then drains the requests in flight and prints its
result line). The driver reads those lines through a pipe, so each sample lands a little after the
instant http_load took its own timestamp: the offset is the driver's wake-up latency (tens of
microseconds when the driver can make itself a real-time task, as root; up to a few milliseconds
otherwise, as both CPUs are busy). It is mostly the same at both ends, so it shifts the CPU window
rather than stretching it; the report prints the largest difference seen between the two windows'
lengths, which bounds the error that matters. CPU time of threads that exit inside the window is
lost (schedstat of a dead thread is gone); a one-thread server has none. http_load's own CPU time
is sampled the same way, to tell whether the client rather than the server was the bottleneck (a
server well below 100% of its CPU while http_load is near 100% was waiting for load), and is
reported per request too (client CPU µs/req: what one request costs the load generator).

The driver also reads /proc/stat at both ends of the window: busy time of the two benchmark CPUs
that is neither the server's nor http_load's ("other load": other processes, including ones in other
containers on the same kernel, which do not show in this /proc) means the run was disturbed. It is
reported per row (the worst run) and warned about above the table when over 5%.

Prints one markdown table: per server and depth, median req/s with min-max, server CPU µs per
request with min-max, both as ratios to the baseline, median client CPU µs per request, median
server and client CPU use (time on CPU over the window's wall time) and the worst other load.
Exits non-zero if any run failed (server died, refused connections, or http_load reported errors).
"""
import argparse
import ctypes
import glob
import os
import platform
import random
import selectors
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time


class RunFailed(Exception):
    pass


class Interrupted(Exception):
    pass


def parse_servers(parser, specs):
    """[(name, command)] from NAME=COMMAND arguments; errors through `parser`."""
    servers = []
    for spec in specs:
        name, sep, command = spec.partition("=")
        if not sep or not name or "{port}" not in command:
            parser.error(f"expected NAME=COMMAND with {{port}} in COMMAND, got {spec!r}")
        if name in (n for n, _ in servers):
            parser.error(f"server name {name!r} given twice")
        servers.append((name, command))
    return servers


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="HTTP plaintext benchmark: servers against bench/http_load.",
        usage="%(prog)s --build-dir DIR [options] -- NAME=COMMAND [NAME=COMMAND ...]")
    p.add_argument("--build-dir", required=True, help="CMake build directory (for {build} and http_load)")
    p.add_argument("--http-load", help="http_load binary (default: BUILD_DIR/bench/http_load)")
    p.add_argument("--repetitions", type=int, default=5)
    p.add_argument("--duration-ms", type=int, default=3000, help="measured window per run")
    p.add_argument("--warmup-ms", type=int, default=1000, help="load before the window per run")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--pipelines", default="1,16", help="comma-separated pipeline depths")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--client-engine", choices=("uring", "epoll"), default="uring",
                   help="http_load's I/O engine (default: uring, the cheaper per request)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--seed", type=int, help="seed for the interleaving (default: random)")
    p.add_argument("servers", nargs="+", metavar="NAME=COMMAND")
    args = p.parse_args()

    args.build_dir = os.path.abspath(args.build_dir)
    args.http_load = args.http_load or os.path.join(args.build_dir, "bench", "http_load")
    if not os.access(args.http_load, os.X_OK):
        p.error(f"no http_load at {args.http_load} (build the http_load target)")
    args.pipelines = [int(x) for x in args.pipelines.split(",") if x]
    args.servers = parse_servers(p, args.servers)
    return args


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def die_with_driver() -> None:
    """Runs in each child before exec: SIGKILL it should the driver itself die without cleaning up
    (SIGKILL, crash), so no server or load generator is ever left behind. Survives exec."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port() -> int:
    """A port the kernel just considered free (another process could take it: small race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ns(pids: list[int]) -> int:
    """Nanoseconds on CPU of every live thread of the given processes."""
    total = 0
    for pid in pids:
        for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
            try:
                with open(path) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # the thread exited meanwhile
    return total


def busy_seconds(cpus: tuple[int, ...]) -> list[float]:
    """Seconds each CPU spent not idle since boot (/proc/stat, in USER_HZ ticks: 10 ms grain)."""
    busy = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *fields = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                ticks = [int(x) for x in fields[:8]]  # user nice system idle iowait irq softirq steal
                busy[int(name[3:])] = sum(ticks) - ticks[3] - ticks[4]
    tick = os.sysconf("SC_CLK_TCK")
    return [busy.get(cpu, 0) / tick for cpu in cpus]


def sample(server_pids: list[int], client_pid: int, cpus: tuple[int, ...]) -> tuple:
    """(monotonic s, server CPU ns, client CPU ns, [busy s of each benchmark CPU])."""
    return (time.monotonic(), cpu_ns(server_pids), cpu_ns([client_pid]), busy_seconds(cpus))


def descendants(root: int) -> list[int]:
    """root and every process below it (a server started through a shell or wrapper)."""
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
        except (OSError, ValueError, IndexError):
            pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def wait_for_port(host: str, port: int, server: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RunFailed(f"server exited with status {server.returncode} before accepting")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RunFailed(f"server did not accept on port {port} within {timeout:.0f} s")
            time.sleep(0.02)


def stop(proc: subprocess.Popen | None) -> None:
    """SIGTERM to the process group, SIGKILL after 3 s; always reaps."""
    if proc is None or proc.returncode is not None:
        return
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_one(args: argparse.Namespace, command: str, depth: int) -> dict:
    port = free_port()
    argv = shlex.split(command.replace("{build}", args.build_dir).replace("{port}", str(port)))
    server = client = None
    try:
        server = subprocess.Popen(["taskset", "-c", str(args.server_cpu), *argv],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  start_new_session=True, preexec_fn=die_with_driver)
        wait_for_port(args.host, port, server)
        server_pids = descendants(server.pid)
        client = subprocess.Popen(
            [args.http_load, "--host", args.host, "--port", str(port),
             "--connections", str(args.connections), "--pipeline", str(depth),
             "--duration-ms", str(args.duration_ms), "--warmup-ms", str(args.warmup_ms),
             "--cpu", str(args.client_cpu), "--engine", args.client_engine],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=die_with_driver)

        cpus = (args.server_cpu, args.client_cpu)
        start = end = None  # sample() at each end of the measured window
        result = None
        deadline = time.monotonic() + (args.warmup_ms + args.duration_ms) / 1000 + 30
        with selectors.DefaultSelector() as sel:
            sel.register(client.stdout, selectors.EVENT_READ)
            while result is None:
                if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    raise RunFailed("http_load did not finish in time")
                line = client.stdout.readline()
                if not line:
                    break
                if line.strip() == "measuring":
                    start = sample(server_pids, client.pid, cpus)
                elif line.strip() == "measured":
                    end = sample(server_pids, client.pid, cpus)
                elif line.startswith("requests="):
                    result = dict(kv.split("=", 1) for kv in line.split())
        try:
            status = client.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise RunFailed("http_load did not exit after its result")
        if server.poll() is not None:
            raise RunFailed(f"server exited with status {server.returncode} during the run")
        if result is None or start is None or end is None:
            raise RunFailed(f"http_load exited with status {status} without a result")
        if status != 0 or int(result["errors"]) != 0:
            raise RunFailed(f"http_load: status {status}, {result}")

        requests, seconds = int(result["requests"]), float(result["seconds"])
        wall = end[0] - start[0]
        server_util = (end[1] - start[1]) / 1e9 / wall
        client_util = (end[2] - start[2]) / 1e9 / wall
        # Whatever else kept the benchmark's CPUs busy (other processes, possibly in other
        # containers sharing the kernel, interrupts handled elsewhere): busy time not ours.
        busy = [(b - a) / wall for a, b in zip(start[3], end[3])]
        return {
            "rps": float(result["rps"]),
            "cpu_us_per_req": (end[1] - start[1]) / 1e3 / requests,
            "client_us_per_req": (end[2] - start[2]) / 1e3 / requests,
            "server_util": server_util,
            "client_util": client_util,
            "other_load": max(0.0, busy[0] - server_util - client_util) if cpus[0] == cpus[1]
                          else max(0.0, busy[0] - server_util, busy[1] - client_util),
            "window_skew_ms": (wall - seconds) * 1e3,
        }
    finally:
        stop(client)
        stop(server)


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def print_table(args: argparse.Namespace, results: dict, failures: dict) -> None:
    base_name = args.servers[0][0]
    print(f"| server | pipeline | req/s median | req/s min–max | req/s vs {base_name} "
          f"| server CPU µs/req median | µs/req min–max | µs/req vs {base_name} "
          f"| client CPU µs/req | server CPU use | client CPU use | other load | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for depth in args.pipelines:
        base = results.get((base_name, depth))
        for name, _ in args.servers:
            runs = results.get((name, depth), [])
            failed = failures.get((name, depth), 0)
            count = f"{len(runs)}" + (f" ({failed} failed)" if failed else "")
            if not runs:
                print(f"| {name} | {depth} | – | – | – | – | – | – | – | – | – | – | {count} |")
                continue
            rps = summary([r["rps"] for r in runs])
            cpu = summary([r["cpu_us_per_req"] for r in runs])
            if base:
                rps_ratio = f"{rps[0] / statistics.median(r['rps'] for r in base):.2f}×"
                cpu_ratio = f"{cpu[0] / statistics.median(r['cpu_us_per_req'] for r in base):.2f}×"
            else:
                rps_ratio = cpu_ratio = "–"
            server_util = statistics.median(r["server_util"] for r in runs)
            client_util = statistics.median(r["client_util"] for r in runs)
            client_cpu = statistics.median(r["client_us_per_req"] for r in runs)
            other = max(r["other_load"] for r in runs)
            print(f"| {name} | {depth} | {rps[0]:,.0f} | {rps[1]:,.0f}–{rps[2]:,.0f} | {rps_ratio} "
                  f"| {cpu[0]:.3f} | {cpu[1]:.3f}–{cpu[2]:.3f} | {cpu_ratio} | {client_cpu:.3f} "
                  f"| {server_util:.0%} | {client_util:.0%} | {other:.0%} | {count} |")


def print_paired(args: argparse.Namespace, results: dict) -> None:
    """Ratios to the baseline's run of the same repetition and pipeline, then their median.

    This machine's speed drifts by up to 3x over phases of seconds to minutes; a repetition runs
    every server once within a few tens of seconds, so pairing within it cancels most of the drift
    that the medians of the table above still carry."""
    base_name = args.servers[0][0]
    print()
    print(f"Paired with {base_name} in the same repetition (median, min–max of the per-repetition "
          f"ratios):")
    print()
    print(f"| server | pipeline | req/s vs {base_name} | CPU µs/req vs {base_name} | pairs |")
    print("|---|---:|---:|---:|---:|")
    for depth in args.pipelines:
        base = {r["rep"]: r for r in results.get((base_name, depth), [])}
        for name, _ in args.servers[1:]:
            pairs = [(r, base[r["rep"]]) for r in results.get((name, depth), []) if r["rep"] in base]
            if not pairs:
                print(f"| {name} | {depth} | – | – | 0 |")
                continue
            rps = summary([r["rps"] / b["rps"] for r, b in pairs])
            cpu = summary([r["cpu_us_per_req"] / b["cpu_us_per_req"] for r, b in pairs])
            print(f"| {name} | {depth} | {rps[0]:.3f}× ({rps[1]:.3f}–{rps[2]:.3f}) "
                  f"| {cpu[0]:.3f}× ({cpu[1]:.3f}–{cpu[2]:.3f}) | {len(pairs)} |")


def main() -> int:
    args = parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)

    # The driver samples CPU time when http_load's lines arrive, while both CPUs are busy: as a
    # real-time task it is woken at once instead of waiting for a time slice (the window offset
    # drops from milliseconds to microseconds). Children are reset to normal scheduling on fork.
    # It sleeps between lines, so it takes next to no CPU from the runs. Best effort: it needs
    # root or CAP_SYS_NICE, and the report's window difference shows what was achieved.
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(1))
    except (OSError, AttributeError):
        pass

    def on_signal(signum, frame):
        raise Interrupted(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    results: dict[tuple[str, int], list[dict]] = {}
    failures: dict[tuple[str, int], int] = {}
    try:
        for rep in range(args.repetitions):
            runs = [(name, command, depth) for name, command in args.servers for depth in args.pipelines]
            rng.shuffle(runs)
            for name, command, depth in runs:
                try:
                    r = run_one(args, command, depth)
                    r["rep"] = rep
                    results.setdefault((name, depth), []).append(r)
                    print(f"[{rep + 1}/{args.repetitions}] {name} pipeline={depth}: {r['rps']:,.0f} req/s, "
                          f"{r['cpu_us_per_req']:.3f} µs/req, server {r['server_util']:.0%}, "
                          f"client {r['client_util']:.0%} ({r['client_us_per_req']:.3f} µs/req), "
                          f"other load {r['other_load']:.0%}",
                          file=sys.stderr)
                except RunFailed as e:
                    failures[(name, depth)] = failures.get((name, depth), 0) + 1
                    print(f"[{rep + 1}/{args.repetitions}] {name} pipeline={depth}: FAILED: {e}",
                          file=sys.stderr)
    except (KeyboardInterrupt, Interrupted) as e:
        print(f"interrupted ({e or 'Ctrl-C'}); partial results:", file=sys.stderr)

    skews = [abs(r["window_skew_ms"]) for runs in results.values() for r in runs]
    print(f"HTTP plaintext, {args.connections} connections, {args.repetitions} repetitions × "
          f"{args.duration_ms} ms (+{args.warmup_ms} ms warmup), server on CPU {args.server_cpu}, "
          f"http_load ({args.client_engine} engine) on CPU {args.client_cpu}, "
          f"kernel {platform.release()}, seed {seed}.")
    if skews:
        print(f"CPU-window vs request-window length: max difference {max(skews):.2f} ms.")
    others = [r["other_load"] for runs in results.values() for r in runs]
    if others and max(others) > 0.05:
        print(f"WARNING: something else used up to {max(others):.0%} of a benchmark CPU during "
              f"the measured windows; the results are disturbed (see the 'other load' column).")
    print()
    print_table(args, results, failures)
    if len(args.servers) > 1:
        print_paired(args, results)
    return 1 if failures or not results else 0


if __name__ == "__main__":
    sys.exit(main())
