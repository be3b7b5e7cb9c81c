"""`pse-sim serve` on loopback under load (N concurrent clients) and under malformed JSON (fuzz).
Both are bounded in count and time; the server must answer every request without a failure."""
import json
import random
import threading
import time

import pytest

from webutil import ServerProcess, request

CLIENTS = 8          # concurrent clients
ROUNDS = 3           # jobs per client
FUZZ_CASES = 300     # malformed bodies


@pytest.fixture()
def server(pse_sim, web_modules, repo_root, tmp_path):
    s = ServerProcess(pse_sim, repo_root, tmp_path / "out", "--max-waiting", str(CLIENTS * 2))
    yield s
    s.stop()


def test_concurrent_clients_get_no_failed_request(server):
    errors, latencies, jobs_done = [], [], []
    lock = threading.Lock()
    deadline = time.monotonic() + 240

    def client(i):
        try:
            for k in range(ROUNDS):
                t = time.monotonic()
                st, _ = request(server.base, "/")
                st2, meta = request(server.base, "/api/meta")
                with lock:
                    latencies.append(time.monotonic() - t)
                if st != 200 or st2 != 200:
                    raise AssertionError(f"client {i}: page {st}, meta {st2}")
                body = {"scenario": "default", "replications": 2, "seed": 100 + i,
                        "set": {"run.weeks": 104, "ngo[*].dedicated_fte": 1 + (i + k) % 3}}
                st, job = request(server.base, "/api/jobs", body)
                if st != 202:
                    raise AssertionError(f"client {i}: submit answered {st}: {job}")
                while job["state"] in ("queued", "running"):
                    if time.monotonic() > deadline:
                        raise AssertionError(f"client {i}: job not done before the deadline")
                    time.sleep(0.05)
                    st, job = request(server.base, f"/api/jobs/{job['id']}")
                    if st != 200:
                        raise AssertionError(f"client {i}: status answered {st}")
                if job["state"] != "done":
                    raise AssertionError(f"client {i}: job {job['state']}: {job['message']}")
                st, data = request(server.base, job["files"]["baseline.toml"])
                if st != 200 or b"dedicated_fte" not in data:
                    raise AssertionError(f"client {i}: download answered {st}")
                with lock:
                    jobs_done.append(job["result"]["baseline"]["summary"]["agreements"]["mean"])
        except Exception as e:  # collected and asserted below
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "clients still running after 300 s"
    assert errors == []
    assert len(jobs_done) == CLIENTS * ROUNDS
    assert max(latencies) < 10.0, f"slowest page+meta round trip {max(latencies):.2f} s"
    assert server.alive()


def _random_json(rng: random.Random, depth=0):
    kinds = ["int", "float", "str", "bool", "null", "list", "dict"] if depth < 4 else ["int", "str", "null"]
    k = rng.choice(kinds)
    if k == "int":
        return rng.choice([0, -1, 1, 2 ** 63, -(2 ** 70), 10 ** 30, rng.randint(-10 ** 6, 10 ** 6)])
    if k == "float":
        return rng.choice([0.5, -1e308, 1e308, 3.14, -0.0])
    if k == "str":
        return rng.choice(["", "default", "../../etc/passwd", "ngo[*].dedicated_fte", "\x00", "é" * 50,
                           "[run]\nweeks = 1\n", "extends = \"/etc/passwd\"", "x" * 500])
    if k == "bool":
        return rng.random() < 0.5
    if k == "null":
        return None
    if k == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["scenario", "toml", "set", "base", "compare", "replications", "seed", "ngo[*].dedicated_fte",
            "run.weeks", "trust.gain_rate", "", "ngo[99].x"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _bodies(rng: random.Random):
    """Malformed or odd request bodies: broken JSON, wrong types, NaN, deep nesting, bad keys."""
    fixed = [b"", b"{", b"[]", b"null", b"42", b'"text"', b"{\"set\": NaN}", b"{\"replications\": Infinity}",
             b"\xff\xfe\x00", b"[" * 5000 + b"]" * 5000, b'{"set": {"ngo[*].dedicated_fte": "lots"}}',
             b'{"set": {"a.b": {"c": 1}}}', b'{"toml": 5}', b'{"toml": "[run]\\nweeks = -1\\n"}',
             b'{"scenario": {"$ne": 1}}', b'{"set": {"run.weeks": 1e999}}', b'{"compare": "yes"}',
             b'{"set": {"../x": 1}}', b'{"toml": "' + b"a = [" * 2000 + b'"}']
    for b in fixed:
        yield b
    while True:
        if rng.random() < 0.3:
            blob = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
            yield blob
        else:
            body = _random_json(rng)
            # wrap most of them in an object so they get past the first check
            if rng.random() < 0.8 and not isinstance(body, dict):
                body = {rng.choice(["set", "scenario", "toml", "replications", "base"]): body}
            if isinstance(body, dict):
                body.setdefault("replications", 1)
                body.setdefault("set", {}) if isinstance(body.get("set", {}), dict) else None
                if isinstance(body.get("set"), dict):
                    body["set"]["run.weeks"] = 20   # keep accidental valid jobs tiny
            yield json.dumps(body).encode()


def test_fuzz_json_api_with_malformed_bodies(server):
    rng = random.Random(20261201)
    gen = _bodies(rng)
    seen = {}
    deadline = time.monotonic() + 180
    for i in range(FUZZ_CASES):
        body = next(gen)
        for path in ("/api/jobs", "/api/validate", "/api/scenario"):
            st, data = request(server.base, path, raw=body)
            seen[st] = seen.get(st, 0) + 1
            assert st in (200, 202, 400, 413, 429), (path, body[:200], st, data)
            assert isinstance(data, dict) and (st in (200, 202) or data.get("problems") or data.get("error")), \
                (path, body[:200], data)
        assert time.monotonic() < deadline, f"fuzzing took longer than 180 s ({i} cases)"
    assert seen.get(400, 0) > FUZZ_CASES          # most bodies are refused with a message
    assert server.alive()
    st, meta = request(server.base, "/api/meta")
    assert st == 200 and meta["scenarios"]
