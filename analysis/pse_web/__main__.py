"""`python3 -m pse_web serve [options]` (what `pse-sim serve` runs)."""
from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sys
from pathlib import Path


def needs_token(host: str, require_token: bool = False) -> bool:
    """True unless the server listens on a loopback address only (127.0.0.0/8, ::1, localhost)
    and no token was asked for: any other address (0.0.0.0, a LAN address, a host name) needs one."""
    if require_token:
        return True
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="pse-sim serve", description=(
        "Start the what-if page: a local web app to run and compare scenarios in the browser. "
        "Prints the URL to open. Stop it with Ctrl-C."))
    ap.add_argument("command", nargs="?", default="serve", choices=["serve"])
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only). Any other address "
                         "makes the server require a random access token, printed with the URL")
    ap.add_argument("--port", type=int, default=8050, help="port (default 8050; 0 = any free port)")
    ap.add_argument("--scenarios", default=os.environ.get("PSE_SCENARIOS_DIR", "scenarios"),
                    help="folder of the bundled scenarios the page offers (default: the repository's scenarios/)")
    ap.add_argument("-o", "--output", default="results/web",
                    help="folder the server writes results into (default results/web; created if missing)")
    ap.add_argument("--require-token", action="store_true", help="require the access token on loopback too")
    ap.add_argument("--threads", type=int, default=0, help="threads per job (0 = all cores)")
    ap.add_argument("--max-replications", type=int, default=100)
    ap.add_argument("--max-weeks", type=int, default=1040)
    ap.add_argument("--max-organisations", type=int, default=20000)
    ap.add_argument("--max-waiting", type=int, default=8, help="jobs that may wait for a free slot")
    ap.add_argument("--job-time-limit", type=float, default=60.0, help="seconds per job")
    a = ap.parse_args(argv)
    try:
        import pse_sim  # noqa: F401
    except ImportError as e:
        print(f"error: the pse_sim Python module is not available ({e}); build it with "
              "`cmake --build --preset release` (needs pybind11-dev: scripts/install-deps)", file=sys.stderr)
        return 1
    from .app import Config, serve
    token = secrets.token_urlsafe(24) if needs_token(a.host, a.require_token) else None
    scen = Path(a.scenarios)
    if not scen.is_dir():
        print(f"error: scenario folder '{scen}' not found (--scenarios)", file=sys.stderr)
        return 2
    for name, v, lo in (("--port", a.port, 0), ("--threads", a.threads, 0), ("--max-replications", a.max_replications, 1),
                        ("--max-weeks", a.max_weeks, 1), ("--max-organisations", a.max_organisations, 1),
                        ("--max-waiting", a.max_waiting, 0)):
        if v < lo:
            print(f"error: {name} must be at least {lo}, got {v}", file=sys.stderr)
            return 2
    cfg = Config(scenario_dir=scen, output_dir=Path(a.output), host=a.host, port=a.port, token=token,
                 threads=a.threads, max_replications=a.max_replications, max_weeks=a.max_weeks,
                 max_organisations=a.max_organisations, max_waiting=a.max_waiting, job_time_limit=a.job_time_limit)

    def ready(url):
        print(f"pse-sim what-if page: {url}", flush=True)
        if token:
            print(f"  access token: {token}  (requests without it are refused)", flush=True)
        print(f"  results are written to {Path(a.output).resolve()}; stop with Ctrl-C", flush=True)
    try:
        serve(cfg, ready)
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print(f"error: cannot listen on {a.host}:{a.port}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
