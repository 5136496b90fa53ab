#!/usr/bin/env python3
"""Memory per idle keep-alive connection: servers holding --connections open, idle connections.

usage: idle_connections.py --build-dir DIR [--connections 10000] [--repetitions 3] [options]
                           -- NAME=COMMAND [NAME=COMMAND ...]

NAME=COMMAND is as for bench/http_bench.py: a server command line containing {port} (and
optionally {build}, replaced by --build-dir), e.g.
    uring='{build}/bench/baselines/uring_server {port}'
    weft='{build}/examples/http_server --port {port}'

For every repetition the servers run in a shuffled order; each run:
  1. starts a fresh server pinned to --server-cpu (taskset) with its soft RLIMIT_NOFILE raised to
     the hard limit (it must hold one descriptor per connection), and waits until its port accepts;
  2. after --settle-ms, reads the server's memory ("before");
  3. runs `http_load --idle` pinned to --client-cpu (same descriptor limit): it opens the
     connections, sends one request on each and reads its response — so every connection has been
     accepted and has served once — and prints "idle N" once all N have answered;
  4. after --settle-ms, reads the server's memory again ("after"), then closes http_load's stdin:
     http_load reports whether every connection stayed open and silent meanwhile, and exits;
  5. stops the server (SIGTERM to its process group, SIGKILL after 3 s).
A run fails (and is not counted) if the server dies, any connection is not answered with a 200,
or any connection is closed by the server or sees traffic while idle.

User-space memory, summed over the server process and its descendants:
  VmRSS    from /proc/PID/status: resident pages, shared ones (libraries) included;
  Pss      from /proc/PID/smaps_rollup: resident pages, each shared one divided among its users;
  Private  Private_Clean + Private_Dirty from smaps_rollup: pages only this process maps.
For each, (after - before) / connections in bytes per connection; the table shows the median over
the repetitions (and min-max for VmRSS). The three agree for a server whose per-connection state
is heap: growth is private anonymous memory. Pss and Private are exact (smaps_rollup walks the page
tables); VmRSS comes from the kernel's per-CPU-batched RSS counters and may be off by some hundred
KiB, i.e. a few dozen bytes per connection at 10,000. A fixed pool the server touches only as
traffic flows (e.g. uring_server's 4 MiB of provided receive buffers) shows up here too, spread
over the connections that first touched it.

Kernel memory is NOT in any of those: the socket (struct tcp_sock, its inode, file, dentry), the
readiness registration (an epoll item, or an io_uring request with its poll entry) and socket
buffers are kernel allocations. Two system-wide views are reported, each divided by connections:
  TCP buffers  the change in /proc/net/sockstat "TCP: ... mem" (pages charged to TCP socket
               buffers, system-wide: both ends of every connection, any network namespace);
               idle sockets with empty queues hold next to none;
  slab         the change in the bytes of active objects in /proc/slabinfo (if readable):
               where an idle connection's kernel memory actually is. The table sums the caches a
               connection allocates from (SOCKET_CACHES: the socket, its inode, file and dentry,
               epoll items, io_uring requests, and the kmalloc caches that hold e.g. io_uring's
               poll entries); the lines under it give the total over all caches and the largest
               caches. Either covers both ends (http_load's sockets as well as the server's: the
               client side is the same for every server, so differences between servers are the
               server side's) and whatever else the machine allocated meanwhile (other processes:
               noise, much of it outside the socket caches, e.g. proc_inode_cache).

Exits non-zero if any run failed.
"""
import argparse
import os
import platform
import random
import resource
import selectors
import shlex
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_bench import (RunFailed, descendants, die_with_driver, free_port, parse_servers,  # noqa: E402
                        stop, wait_for_port)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Memory per idle keep-alive connection, per server.",
        usage="%(prog)s --build-dir DIR [options] -- NAME=COMMAND [NAME=COMMAND ...]")
    p.add_argument("--build-dir", required=True, help="CMake build directory (for {build} and http_load)")
    p.add_argument("--http-load", help="http_load binary (default: BUILD_DIR/bench/http_load)")
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--settle-ms", type=int, default=500,
                   help="pause before each memory reading, for the server to go quiet")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--seed", type=int, help="seed for the order of the runs (default: random)")
    p.add_argument("servers", nargs="+", metavar="NAME=COMMAND")
    args = p.parse_args()

    args.build_dir = os.path.abspath(args.build_dir)
    args.http_load = args.http_load or os.path.join(args.build_dir, "bench", "http_load")
    if not os.access(args.http_load, os.X_OK):
        p.error(f"no http_load at {args.http_load} (build the http_load target)")
    if args.connections <= 0 or args.repetitions <= 0:
        p.error("--connections and --repetitions must be positive")
    args.servers = parse_servers(p, args.servers)

    # Server and client each hold one descriptor per connection, plus a few of their own.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < args.connections + 64:
        p.error(f"RLIMIT_NOFILE hard limit {hard} is too low for {args.connections} connections "
                f"(each side needs one descriptor per connection)")
    return args


def child_setup() -> None:
    """Runs in each child before exec: dies with the driver, and may open as many descriptors as
    the hard limit allows (the soft limit is often 1024; the hard one cannot be raised without
    CAP_SYS_RESOURCE, nor needs to be: each process needs one descriptor per connection)."""
    die_with_driver()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:  # the kernel's own ceiling then
        with open("/proc/sys/fs/nr_open") as f:
            target = int(f.read())
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def process_memory(pids: list[int]) -> dict[str, int]:
    """VmRSS, Pss and Private (bytes) summed over the given processes."""
    total = {"rss": 0, "pss": 0, "private": 0}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total["rss"] += int(line.split()[1]) * 1024
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key == "Pss":
                        total["pss"] += int(rest.split()[0]) * 1024
                    elif key in ("Private_Clean", "Private_Dirty"):
                        total["private"] += int(rest.split()[0]) * 1024
        except (OSError, ValueError, IndexError):
            pass  # the process exited meanwhile (a server of one process does not)
    return total


def tcp_sockstat() -> dict[str, int]:
    """/proc/net/sockstat's TCP line: sockets in use and buffer memory (bytes)."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()[1:]
                values = dict(zip(fields[::2], (int(v) for v in fields[1::2])))
                return {"inuse": values.get("inuse", 0),
                        "mem": values.get("mem", 0) * os.sysconf("SC_PAGE_SIZE")}
    return {"inuse": 0, "mem": 0}


# The slab caches an idle connection's kernel objects come from (the table's kernel slab column).
# Not tw_sock_TCP: TIME_WAIT sockets of earlier runs expire during a run.
SOCKET_CACHES = ("TCP", "TCPv6", "sock_inode_cache", "filp", "dentry", "eventpoll_epi",
                 "eventpoll_pwq", "io_kiocb", "request_sock_TCP", "skbuff_")


def is_socket_cache(name: str) -> bool:
    return name in SOCKET_CACHES or name.startswith(("kmalloc-", "skbuff_"))


def slab_bytes() -> dict[str, int] | None:
    """Bytes of active objects per slab cache (/proc/slabinfo), or None if it is not readable."""
    try:
        with open("/proc/slabinfo") as f:
            lines = f.readlines()[2:]
    except OSError:
        return None
    caches = {}
    for line in lines:
        fields = line.split()
        try:
            caches[fields[0]] = int(fields[1]) * int(fields[3])  # active_objs × objsize
        except (IndexError, ValueError):
            continue
    return caches


def snapshot(server_pid: int) -> dict:
    return {"process": process_memory(descendants(server_pid)), "sockstat": tcp_sockstat(),
            "slab": slab_bytes()}


def read_line(stream, selector: selectors.BaseSelector, deadline: float, what: str) -> str:
    """The next line from the client, or RunFailed if none comes before the deadline."""
    if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
        raise RunFailed(f"http_load: no {what} in time")
    line = stream.readline()
    if not line:
        raise RunFailed(f"http_load exited before {what}")
    return line.strip()


def run_one(args: argparse.Namespace, command: str) -> dict:
    port = free_port()
    argv = shlex.split(command.replace("{build}", args.build_dir).replace("{port}", str(port)))
    n = args.connections
    settle = args.settle_ms / 1000
    server = client = None
    try:
        server = subprocess.Popen(["taskset", "-c", str(args.server_cpu), *argv],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  start_new_session=True, preexec_fn=child_setup)
        wait_for_port(args.host, port, server)
        time.sleep(settle)
        before = snapshot(server.pid)

        client = subprocess.Popen(
            [args.http_load, "--idle", "--connections", str(n), "--host", args.host,
             "--port", str(port), "--cpu", str(args.client_cpu)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=child_setup)
        opened_at = time.monotonic()
        with selectors.DefaultSelector() as sel:
            sel.register(client.stdout, selectors.EVENT_READ)
            line = read_line(client.stdout, sel, opened_at + 180, '"idle" line')
            if line != f"idle {n}":
                raise RunFailed(f"http_load: unexpected {line!r}")
            setup_seconds = time.monotonic() - opened_at
            time.sleep(settle)
            if server.poll() is not None:
                raise RunFailed(f"server exited with status {server.returncode} while idle")
            after = snapshot(server.pid)

            client.stdin.close()  # end of the idle phase: http_load checks and exits
            line = read_line(client.stdout, sel, time.monotonic() + 30, "idle-result line")
        result = dict(kv.split("=", 1) for kv in line.split()[1:]) if line.startswith("idle-result") else {}
        status = client.wait(timeout=30)
        if status != 0 or result.get("errors") != "0" or result.get("open") != str(n):
            raise RunFailed(f"http_load: status {status}, {line!r}")
        if server.poll() is not None:
            raise RunFailed(f"server exited with status {server.returncode}")

        per_conn = {key: (after["process"][key] - before["process"][key]) / n
                    for key in ("rss", "pss", "private")}
        per_conn["tcp_mem"] = (after["sockstat"]["mem"] - before["sockstat"]["mem"]) / n
        per_conn["sockets"] = after["sockstat"]["inuse"] - before["sockstat"]["inuse"]
        per_conn["setup_s"] = setup_seconds
        per_conn["rss_before"] = before["process"]["rss"]
        per_conn["rss_after"] = after["process"]["rss"]
        if before["slab"] is not None and after["slab"] is not None:
            caches = {name: (after["slab"].get(name, 0) - before["slab"].get(name, 0)) / n
                      for name in set(before["slab"]) | set(after["slab"])}
            per_conn["slab"] = sum(caches.values())
            per_conn["slab_sockets"] = sum(v for c, v in caches.items() if is_socket_cache(c))
            per_conn["slab_caches"] = caches
        return per_conn
    finally:
        if client is not None and client.stdin is not None and not client.stdin.closed:
            client.stdin.close()
        stop(client)
        stop(server)


def print_report(args: argparse.Namespace, results: dict, failures: dict, seed: int) -> None:
    print(f"Idle keep-alive connections: {args.connections} per run, each answered once then idle; "
          f"median of {args.repetitions} repetitions; server on CPU {args.server_cpu}, "
          f"http_load --idle on CPU {args.client_cpu}, kernel {platform.release()}, seed {seed}.")
    print("Bytes per connection = (after - before) / connections. User space: the server process "
          "(VmRSS; Pss and Private from smaps_rollup).")
    print("Kernel memory is not in RSS. Kernel columns are system-wide and cover BOTH ends of each "
          "connection (server and http_load sockets) plus any other activity meanwhile: "
          "TCP buffers = /proc/net/sockstat TCP mem; slab = active objects in /proc/slabinfo "
          "caches sockets allocate from (socket, inode, file, dentry, epoll item, io_uring "
          "request, kmalloc).")
    print()
    print("| server | VmRSS B/conn | VmRSS min–max | Pss B/conn | Private B/conn "
          "| kernel TCP buffers B/conn (both ends) | kernel slab B/conn, socket caches (both ends) "
          "| server VmRSS before → after | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _ in args.servers:
        runs = results.get(name, [])
        failed = failures.get(name, 0)
        count = f"{len(runs)}" + (f" ({failed} failed)" if failed else "")
        if not runs:
            print(f"| {name} | – | – | – | – | – | – | – | {count} |")
            continue
        med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
        rss = [r["rss"] for r in runs]
        slab = f"{med('slab_sockets'):,.0f}" if all("slab" in r for r in runs) else "n/a"
        print(f"| {name} | {med('rss'):,.0f} | {min(rss):,.0f}–{max(rss):,.0f} | {med('pss'):,.0f} "
              f"| {med('private'):,.0f} | {med('tcp_mem'):,.0f} | {slab} "
              f"| {med('rss_before') / 2**20:.1f} → {med('rss_after') / 2**20:.1f} MiB | {count} |")
    print()
    for name, _ in args.servers:
        runs = [r for r in results.get(name, []) if "slab_caches" in r]
        if not runs:
            continue
        names = set().union(*(r["slab_caches"] for r in runs))
        medians = {c: statistics.median(r["slab_caches"].get(c, 0.0) for r in runs) for c in names}
        top = sorted(medians.items(), key=lambda kv: -kv[1])[:8]
        sockets = statistics.median(r["sockets"] for r in runs)
        setup = statistics.median(r["setup_s"] for r in runs)
        total = statistics.median(r["slab"] for r in runs)
        print(f"- {name}: slab growth over all caches {total:,.0f} B/conn (both ends); largest: "
              + ", ".join(f"{c} {v:,.0f}" for c, v in top if v >= 1)
              + f"; TCP sockets +{sockets:,.0f}; connections opened and answered in {setup:.1f} s")


def main() -> int:
    args = parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    results: dict[str, list[dict]] = {}
    failures: dict[str, int] = {}
    try:
        for rep in range(args.repetitions):
            order = list(args.servers)
            rng.shuffle(order)
            for name, command in order:
                try:
                    r = run_one(args, command)
                    results.setdefault(name, []).append(r)
                    slab = (f", slab {r['slab_sockets']:,.0f} in socket caches "
                            f"({r['slab']:,.0f} in all)" if "slab" in r else "")
                    print(f"[{rep + 1}/{args.repetitions}] {name}: VmRSS {r['rss']:,.0f} B/conn, "
                          f"Pss {r['pss']:,.0f}, Private {r['private']:,.0f}, "
                          f"TCP buffers {r['tcp_mem']:,.0f}{slab} (both ends)", file=sys.stderr)
                except RunFailed as e:
                    failures[name] = failures.get(name, 0) + 1
                    print(f"[{rep + 1}/{args.repetitions}] {name}: FAILED: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; partial results:", file=sys.stderr)
    print_report(args, results, failures, seed)
    return 1 if failures or not results else 0


if __name__ == "__main__":
    sys.exit(main())
