#!/usr/bin/env python3
"""fillroute's three gRPC services as a hostile third-party client sees them.

Nothing of ours is on the client side: the `.proto` files are compiled here
with grpc_tools.protoc and driven through Python grpcio. The script builds a
throwaway deployment from documented commands only (`fillroute db create`,
`roads import`, `fleet ...`, `bins import`, `vision train`), starts
`vision serve`, `ingest serve`, `ingest worker` and `plan serve` on free
loopback ports, and sends every RPC broken, huge, NaN/inf, negative,
far-future, empty, duplicate and concurrent input. Each case has the gRPC
statuses it may answer (INVALID_ARGUMENT must name the field); anything else
(INTERNAL, UNKNOWN, a hang, a dead process, a half-written row) is
unexpected. It prints a table `service rpc case -> status` and exits 1 when
any case is unexpected.

Usage (see tests/hostile/README.md):
    source ~/.cache/fillroute/env.sh
    python3 -m venv ~/.cache/fillroute/hostile-venv
    ~/.cache/fillroute/hostile-venv/bin/pip install grpcio grpcio-tools grpcio-health-checking pillow
    ~/.cache/fillroute/hostile-venv/bin/python tests/hostile/hostile.py [--bin target/release/fillroute]

Traffic goes to 127.0.0.1 only, every loop is bounded, and the script stops
its servers and drops its database when done (--keep keeps them).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import io
import math
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_tools import protoc
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
CALL_TIMEOUT = 60.0  # seconds; a call that takes longer counts as a hang
ADMIN = "hostile-admin-token-0123456789"
TOKEN_KEY = "hostile-token-key-0123456789abcdef0123"
DASH = "hostile-dashboard-token-0123"
PLANNER = "hostile-planner-token-012345"
NUL = "res\x00idual"
# A message over a server's decode limit is refused by tonic itself, before any
# handler runs, with OUT_OF_RANGE "decoded message length too large" (grpc-go
# says RESOURCE_EXHAUSTED); either tells the client what happened.
TOO_BIG = {"RESOURCE_EXHAUSTED", "OUT_OF_RANGE"}


# --------------------------------------------------------------------------
# proto compilation

def compile_protos(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    files = [str(p.relative_to(REPO / "proto")) for p in (REPO / "proto").rglob("*.proto")]
    import grpc_tools

    include = str(Path(grpc_tools.__file__).parent / "_proto")
    rc = protoc.main(
        ["protoc", f"-I{REPO / 'proto'}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    )
    if rc != 0:
        sys.exit(f"protoc failed ({rc}) on {files}")
    for d in out.rglob("*"):
        if d.is_dir():
            (d / "__init__.py").touch()
    sys.path.insert(0, str(out))
    global ingest_pb2, ingest_grpc, planner_pb2, planner_grpc, vision_pb2, vision_grpc
    from fillroute.ingest.v1 import ingest_pb2, ingest_pb2_grpc as ingest_grpc  # noqa: E402
    from fillroute.planner.v1 import planner_pb2, planner_pb2_grpc as planner_grpc  # noqa: E402
    from fillroute.vision.v1 import vision_pb2, vision_pb2_grpc as vision_grpc  # noqa: E402


# --------------------------------------------------------------------------
# images

def lid_photo(fill: float, seed: int, side: int = 96, fmt: str = "JPEG") -> bytes:
    rnd = random.Random(seed)
    img = Image.new("RGB", (side, side), (170, 170, 170))
    d = ImageDraw.Draw(img)
    level = int((1.0 - min(fill, 1.0)) * side)
    waste = (rnd.randint(90, 160), rnd.randint(50, 110), rnd.randint(20, 70))
    d.rectangle([0, level, side, side], fill=waste)
    for _ in range(side):
        x, y = rnd.randrange(side), rnd.randrange(side)
        d.point((x, y), fill=(rnd.randrange(256),) * 3)
    buf = io.BytesIO()
    img.save(buf, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def big_jpeg(target: int) -> bytes:
    """A real JPEG of about `target` bytes (noise compresses badly)."""
    side = int(math.sqrt(target / 2.2)) + 16  # noise at quality 100: about 2.2 bytes a pixel
    while True:
        img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=100)
        if buf.tell() <= target * 1.05:
            return buf.getvalue()
        side = int(side * math.sqrt(target / buf.tell()))


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height (grey, zlib of zeros)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" * (width + 1)
    comp = zlib.compressobj(9)
    body = b""
    for _ in range(min(height, 64)):  # only the start: enough to make a decoder allocate
        body += comp.compress(row)
    body += comp.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------
# processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Stack:
    def __init__(self, args, work: Path):
        self.args, self.work = args, work
        self.bin = str(Path(args.bin).resolve())
        self.db_name = f"fillroute_hostile_{os.getpid()}"
        self.db_url = f"{args.pg}/{self.db_name}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.tag = f"HOSTILE{os.getpid()}"
        self.env = dict(os.environ, DATABASE_URL=self.db_url, RUST_LOG=os.environ.get("RUST_LOG", "info"))

    def cli(self, *argv: str, check: bool = True) -> str:
        r = subprocess.run([self.bin, *argv], env=self.env, capture_output=True, text=True, timeout=900)
        if check and r.returncode != 0:
            sys.exit(f"setup failed: fillroute {' '.join(argv)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def psql(self, sql: str) -> str:
        r = subprocess.run(
            ["psql", self.args.pg + "/" + self.db_name, "-tAc", sql], capture_output=True, text=True, timeout=60
        )
        if r.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {r.stderr}")
        return r.stdout.strip()

    def drop_db(self):
        subprocess.run(
            ["psql", self.args.pg + "/postgres", "-qc", f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'],
            capture_output=True,
            timeout=60,
        )

    def setup(self):
        log("database", self.db_name)
        self.drop_db()
        self.cli("db", "create")
        self.cli("roads", "import", str(REPO.parent / "shared/datasets/osm/monaco.osm.gz"), "--network", "monaco")
        self.cli("fleet", "depot", "add", "--name", "Monaco depot", "--lon", "7.4167", "--lat", "43.7317")
        self.cli("fleet", "site", "add", "--name", "Monaco transfer", "--lon", "7.4190", "--lat", "43.7290",
                 "--hours", "05:00-20:00", "--unload-minutes", "15")
        self.cli("fleet", "truck", "add", "--name", "truck 1", "--depot", "Monaco depot", "--capacity-litres",
                 "6000", "--shift", "06:00-16:00", "--cost-per-km", "1.0", "--cost-per-hour", "40")
        self.cli("fleet", "region", "add", "--name", "monaco", "--bbox", "7.40,43.72,7.44,43.76",
                 "--depot", "Monaco depot", "--network", "monaco", "--time-zone", "Europe/Monaco")
        csv = self.work / "bins.csv"
        csv.write_text(
            "lon,lat,capacity_litres,waste_stream,service_time_s,container_type,customer,window\n"
            "7.4200,43.7350,1100,residual,90,1100l-wheelie,comu,\n"
            "7.4230,43.7380,1100,residual,90,1100l-wheelie,comu,07:00-12:00\n"
            "7.4150,43.7330,660,paper,60,660l-wheelie,comu,\n"
        )
        self.cli("bins", "import", str(csv))
        self.bins = [int(t) for t in self.psql("SELECT id FROM bins ORDER BY id").split()]
        # A fill model from generated lid photos, made with the documented command.
        data = self.work / "photos"
        classes = ["empty", "quarter", "half", "three_quarter", "full", "overflowing"]
        fills = [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
        for c, f in zip(classes, fills):
            (data / c).mkdir(parents=True)
            for i in range(12):
                (data / c / f"{i}.jpg").write_bytes(lid_photo(f, hash((c, i)) & 0xFFFF))
        self.model = self.work / "fill-model.json"
        self.cli("vision", "train", "--data", str(data), "--out", str(self.model), "--labels-per-class", "8")

    def start(self, name: str, argv: list[str], port: int):
        logf = open(self.work / f"{name}.log", "w")
        p = subprocess.Popen([self.bin, *argv], env=self.env, stdout=logf, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs[name] = p
        return p

    def start_all(self):
        self.ports = {k: free_port() for k in ("vision", "ingest", "planner")}
        bus = ["--nats-url", "nats://127.0.0.1:4222", "--objects", str(self.work / "objects"),
               "--stream", self.tag, "--subject-prefix", self.tag.lower()]
        self.start("vision", ["vision", "serve", "--listen", f"127.0.0.1:{self.ports['vision']}",
                              "--model", str(self.model), "--max-image-bytes", str(8 << 20)], self.ports["vision"])
        self.start("ingest", ["ingest", "serve", "--listen", f"127.0.0.1:{self.ports['ingest']}",
                              "--admin-token", ADMIN, "--token-key", TOKEN_KEY, *bus], self.ports["ingest"])
        self.start("planner", ["plan", "serve", "--listen", f"127.0.0.1:{self.ports['planner']}",
                               "--dashboard-token", DASH, "--planner-token", PLANNER], self.ports["planner"])
        for name in ("vision", "ingest", "planner"):
            self.wait_serving(name)
        self.start("worker", ["ingest", "worker", "--vision-url", f"http://127.0.0.1:{self.ports['vision']}",
                              *bus], 0)
        self.channels = {k: grpc.insecure_channel(
            f"127.0.0.1:{v}",
            options=[("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)],
        ) for k, v in self.ports.items()}

    def wait_serving(self, name: str):
        channel = grpc.insecure_channel(f"127.0.0.1:{self.ports[name]}")
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.procs[name].poll() is not None:
                sys.exit(f"{name} exited with {self.procs[name].returncode}; see {self.work / (name + '.log')}")
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status == 1:
                    log(name, "SERVING on port", self.ports[name], "pid", self.procs[name].pid)
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.5)
        sys.exit(f"{name} did not become SERVING in 180 s; see {self.work / (name + '.log')}")

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        delete_stream(self.tag)


def delete_stream(name: str, url=("127.0.0.1", 4222)):
    """Deletes a JetStream stream with the plain NATS protocol (no `nats` CLI needed)."""
    try:
        with socket.create_connection(url, timeout=5) as sock:
            f = sock.makefile("rb")
            f.readline()  # INFO
            inbox = f"_INBOX.hostile{os.getpid()}"
            sock.sendall(b'CONNECT {"verbose":false}\r\n' + f"SUB {inbox} 1\r\n".encode()
                         + f"PUB $JS.API.STREAM.DELETE.{name} {inbox} 0\r\n\r\nPING\r\n".encode())
            while True:
                line = f.readline()
                if not line or line.startswith(b"MSG"):
                    break
    except OSError as e:
        log("could not delete stream", name, e)


def log(*a):
    print("[hostile]", *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# cases

@dataclass
class Result:
    service: str
    rpc: str
    case: str
    got: str
    ok: bool
    note: str = ""


@dataclass
class Runner:
    results: list = field(default_factory=list)

    def run(self, service, rpc, name, expect, fn, field_name=None):
        """Runs `fn`; it returns None (OK) or raises grpc.RpcError. `expect`
        is a set of code names; an INVALID_ARGUMENT must name `field_name`."""
        note = ""
        t0 = time.time()
        try:
            extra = fn()
            got = "OK"
            if isinstance(extra, str):
                note = extra
        except grpc.RpcError as e:
            got = e.code().name
            note = (e.details() or "")[:160]
            if got == "DEADLINE_EXCEEDED" and time.time() - t0 >= CALL_TIMEOUT - 1:
                got = "HANG"
        except Check as e:
            got, note = "CHECK_FAILED", str(e)
        except Exception as e:  # a bug in this script must not hide the other cases
            got, note = "SCRIPT_ERROR", f"{type(e).__name__}: {e}"
        ok = got in expect
        if ok and got == "INVALID_ARGUMENT" and field_name and field_name not in note:
            ok, note = False, f"does not name `{field_name}`: {note}"
        if got in ("INTERNAL", "UNKNOWN", "HANG"):
            ok = False
        self.results.append(Result(service, rpc, name, got, ok, note.replace("\n", " ")))
        return got


class Check(Exception):
    """A response that came back with the wrong content."""


def md(*pairs):
    return [(k, v) for k, v in pairs]


def now_ms(offset_s: float = 0) -> int:
    return int((time.time() + offset_s) * 1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(REPO / "target/release/fillroute"))
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--keep", action="store_true", help="keep the servers' folder and the database")
    ap.add_argument("--signin-devices", type=int, default=1000, help="distinct devices in the sign-in load case")
    args = ap.parse_args()
    if not Path(args.bin).exists():
        sys.exit(f"{args.bin} not found: cargo build --release -p fillroute-cli")
    work = Path(tempfile.mkdtemp(prefix="fillroute-hostile-"))
    compile_protos(work / "py")
    stack = Stack(args, work)
    r = Runner()
    try:
        stack.setup()
        stack.start_all()
        rss = {}
        rss["idle"] = {k: rss_mb(p.pid) for k, p in stack.procs.items()}
        ingest_cases(stack, r)
        vision_cases(stack, r)
        planner_cases(stack, r)
        rss["after"] = {k: rss_mb(p.pid) for k, p in stack.procs.items()}
        load_cases(stack, r, rss)
        for name, p in stack.procs.items():
            alive = p.poll() is None
            r.results.append(Result(name, "-", "process alive at the end", "yes" if alive else f"exit {p.returncode}",
                                    alive))
            text = (work / f"{name}.log").read_text(errors="replace")
            panics = [l for l in text.splitlines() if "panicked" in l]
            r.results.append(Result(name, "-", "no panic in the log", f"{len(panics)} panics", not panics,
                                    panics[0][:160] if panics else ""))
    finally:
        stack.stop()
        if not args.keep:
            stack.drop_db()
    print_table(r.results, rss if "rss" in dir() else {})
    bad = [x for x in r.results if not x.ok]
    print(f"\n{len(r.results) - len(bad)} passed, {len(bad)} failed")
    if args.keep:
        print(f"servers' logs and objects in {work}; database {stack.db_name}")
    sys.exit(1 if bad else 0)


def print_table(results, rss):
    w = max(len(x.case) for x in results)
    print(f"{'service':8} {'rpc':18} {'case':{w}}  {'status':18} ok   note")
    for x in results:
        print(f"{x.service:8} {x.rpc:18} {x.case:{w}}  {x.got:18} {'yes' if x.ok else 'NO ':3}  {x.note[:110]}")
    if rss:
        print("\nRSS MB (VmRSS, machine shared and loaded):")
        for phase, d in rss.items():
            if isinstance(d, dict):
                print(f"  {phase:14} " + "  ".join(f"{k}={v:.0f}" for k, v in d.items()))


# ---- ingest

def ingest_cases(s: Stack, r: Runner):
    stub = ingest_grpc.IngestServiceStub(s.channels["ingest"])
    pb = ingest_pb2
    admin = md(("authorization", f"Bearer {ADMIN}"))
    T = CALL_TIMEOUT
    good_bin = dict(lon=7.4210, lat=43.7360, capacity_litres=1100, waste_stream="residual", service_time_s=90,
                    container_type="wheelie", customer="comu")
    bins_before = int(s.psql("SELECT count(*) FROM bins"))

    def reg_bin(meta=admin, **over):
        def f():
            stub.RegisterBin(pb.RegisterBinRequest(**{**good_bin, **over}), metadata=meta, timeout=T)
        return f

    I, U, OK = {"INVALID_ARGUMENT"}, {"UNAUTHENTICATED"}, {"OK"}
    r.run("ingest", "RegisterBin", "no token", U, reg_bin(meta=None))
    r.run("ingest", "RegisterBin", "wrong token", U, reg_bin(meta=md(("authorization", "Bearer nope"))))
    r.run("ingest", "RegisterBin", "token without Bearer", U, reg_bin(meta=md(("authorization", ADMIN))))
    r.run("ingest", "RegisterBin", "lon NaN", I, reg_bin(lon=math.nan), "lon")
    r.run("ingest", "RegisterBin", "lat +inf", I, reg_bin(lat=math.inf), "lat")
    r.run("ingest", "RegisterBin", "lon -181", I, reg_bin(lon=-181.0), "lon")
    r.run("ingest", "RegisterBin", "capacity 0", I, reg_bin(capacity_litres=0), "capacity_litres")
    r.run("ingest", "RegisterBin", "capacity 4e9", I, reg_bin(capacity_litres=4_000_000_000), "capacity_litres")
    r.run("ingest", "RegisterBin", "empty waste_stream", I, reg_bin(waste_stream=""), "waste_stream")
    r.run("ingest", "RegisterBin", "NUL in waste_stream", I, reg_bin(waste_stream=NUL), "waste_stream")
    r.run("ingest", "RegisterBin", "NUL in customer", I, reg_bin(customer="a\x00b"), "customer")
    r.run("ingest", "RegisterBin", "1 MB customer", I, reg_bin(customer="x" * (1 << 20)), "customer")
    r.run("ingest", "RegisterBin", "window weekday 7", I,
          reg_bin(time_windows=[pb.TimeWindow(weekday=7, opens_s=0, closes_s=3600)]), "time_windows")
    r.run("ingest", "RegisterBin", "window opens after close", I,
          reg_bin(time_windows=[pb.TimeWindow(opens_s=7200, closes_s=3600)]), "time_windows")
    r.run("ingest", "RegisterBin", "10k windows", I,
          reg_bin(time_windows=[pb.TimeWindow(opens_s=0, closes_s=3600)] * 10_000), "time_windows")
    r.run("ingest", "RegisterBin", "fill_rate_prior NaN", I, reg_bin(fill_rate_prior=math.nan), "fill_rate_prior")
    r.run("ingest", "RegisterBin", "fill_rate_prior 1e9", I, reg_bin(fill_rate_prior=1e9), "fill_rate_prior")
    r.run("ingest", "RegisterBin", "fill_rate_prior 0", I, reg_bin(fill_rate_prior=0.0), "fill_rate_prior")
    r.run("ingest", "RegisterBin", "fill_rate_prior_log_sd without a rate", I,
          reg_bin(fill_rate_prior_log_sd=0.5), "fill_rate_prior_log_sd")
    r.run("ingest", "RegisterBin", "fill_rate_prior_log_sd -inf", I,
          reg_bin(fill_rate_prior=0.1, fill_rate_prior_log_sd=-math.inf), "fill_rate_prior_log_sd")
    def outside():
        try:
            reg_bin(lon=0.0, lat=0.0)()
        except grpc.RpcError as e:
            if e.code().name == "FAILED_PRECONDITION" and not all(
                    w in (e.details() or "") for w in ("location", "fleet region add")):
                raise Check(f"does not name `location` and how to add a region: {e.details()}")
            raise
    r.run("ingest", "RegisterBin", "at (0, 0), outside every region", {"FAILED_PRECONDITION"}, outside)
    r.run("ingest", "-", "nothing written by refused RegisterBins", {"OK"},
          lambda: check_eq(int(s.psql("SELECT count(*) FROM bins")), bins_before, "bins rows"))

    bin_id = s.bins[0]
    other_bin = s.bins[1]

    def reg_dev(meta=admin, **kw):
        def f():
            stub.RegisterDevice(pb.RegisterDeviceRequest(**{"bin_id": bin_id, **kw}), metadata=meta, timeout=T)
        return f

    devices_before = int(s.psql("SELECT count(*) FROM devices"))
    r.run("ingest", "RegisterDevice", "no token", U, reg_dev(meta=None))
    r.run("ingest", "RegisterDevice", "bin 0", {"INVALID_ARGUMENT", "NOT_FOUND"}, reg_dev(bin_id=0), "bin_id")
    r.run("ingest", "RegisterDevice", "bin -1", {"INVALID_ARGUMENT", "NOT_FOUND"}, reg_dev(bin_id=-1), "bin_id")
    r.run("ingest", "RegisterDevice", "unknown bin", {"NOT_FOUND"}, reg_dev(bin_id=2**62))
    r.run("ingest", "RegisterDevice", "NUL in firmware", I, reg_dev(firmware="1.0\x00evil"), "firmware")
    r.run("ingest", "RegisterDevice", "max_upload_bytes 4e9", I, reg_dev(max_upload_bytes=4_000_000_000),
          "max_upload_bytes")
    r.run("ingest", "RegisterDevice", "max_upload_bytes 2^31-1", I, reg_dev(max_upload_bytes=2**31 - 1),
          "max_upload_bytes")
    r.run("ingest", "RegisterDevice", "cadence 4e9", I, reg_dev(cadence_s=4_000_000_000), "cadence_s")
    r.run("ingest", "-", "nothing written by refused RegisterDevices", {"OK"},
          lambda: check_eq(int(s.psql("SELECT count(*) FROM devices")), devices_before, "devices rows"))

    dev = stub.RegisterDevice(pb.RegisterDeviceRequest(bin_id=bin_id, uploads_per_minute=100_000,
                                                       max_upload_bytes=12 << 20), metadata=admin, timeout=T)
    dmeta = md(("authorization", f"Bearer {dev.token}"), ("x-device-id", dev.device_id))
    s.device = (dev.device_id, dev.token)

    def up(meta=dmeta, image=None, **kw):
        def f():
            req = pb.UploadImageRequest(**{"captured_at_unix_ms": now_ms(-60), **kw},
                                        image=image if image is not None else lid_photo(0.5, random.randrange(1 << 30)))
            stub.UploadImage(req, metadata=meta, timeout=T)
        return f

    rev = stub.RegisterDevice(pb.RegisterDeviceRequest(bin_id=bin_id), metadata=admin, timeout=T)
    stub.RevokeDevice(pb.RevokeDeviceRequest(device_id=rev.device_id), metadata=admin, timeout=T)
    images_before = int(s.psql("SELECT count(*) FROM images"))
    jpeg = lid_photo(0.4, 7)
    r.run("ingest", "UploadImage", "no token", U, up(meta=None))
    r.run("ingest", "UploadImage", "token but no device id", U, up(meta=md(("authorization", f"Bearer {dev.token}"))))
    r.run("ingest", "UploadImage", "wrong token", U,
          up(meta=md(("authorization", "Bearer " + "0" * 64), ("x-device-id", dev.device_id))))
    r.run("ingest", "UploadImage", "admin token as device", U,
          up(meta=md(("authorization", f"Bearer {ADMIN}"), ("x-device-id", dev.device_id))))
    r.run("ingest", "UploadImage", "device id not a uuid", U,
          up(meta=md(("authorization", f"Bearer {dev.token}"), ("x-device-id", "'; DROP TABLE bins;--"))))
    r.run("ingest", "UploadImage", "revoked device", U,
          up(meta=md(("authorization", f"Bearer {rev.token}"), ("x-device-id", rev.device_id))))
    r.run("ingest", "UploadImage", "0-byte image", I, up(image=b""), "image")
    r.run("ingest", "UploadImage", "truncated JPEG", I, up(image=jpeg[: len(jpeg) // 2]), "image")
    r.run("ingest", "UploadImage", "JPEG header only", I, up(image=jpeg[:3]), "image")
    r.run("ingest", "UploadImage", "random bytes", I, up(image=os.urandom(5000)), "image")
    r.run("ingest", "UploadImage", "GIF", I, up(image=b"GIF89a" + os.urandom(100)), "image")
    r.run("ingest", "UploadImage", "PNG bomb 60000x60000", I, up(image=png_bomb(60000, 60000)), "image")
    r.run("ingest", "UploadImage", "PNG 0x0", I, up(image=png_bomb(0, 0)), "image")
    r.run("ingest", "UploadImage", "8 MB image (unary limit 4 MB)", I | TOO_BIG,
          up(image=big_jpeg(8 << 20)), "image")
    r.run("ingest", "UploadImage", "captured far future", I, up(captured_at_unix_ms=now_ms(86400 * 365 * 100)),
          "captured_at_unix_ms")
    r.run("ingest", "UploadImage", "captured i64 max", I, up(captured_at_unix_ms=2**63 - 1), "captured_at_unix_ms")
    r.run("ingest", "UploadImage", "captured i64 min", I, up(captured_at_unix_ms=-(2**63)), "captured_at_unix_ms")
    r.run("ingest", "UploadImage", "captured 0 (1970)", I, up(captured_at_unix_ms=0), "captured_at_unix_ms")
    r.run("ingest", "UploadImage", "captured negative", I, up(captured_at_unix_ms=-1), "captured_at_unix_ms")
    r.run("ingest", "UploadImage", "another device's bin", {"PERMISSION_DENIED"}, up(bin_id=other_bin))
    r.run("ingest", "UploadImage", "unknown bin", {"NOT_FOUND"}, up(bin_id=2**62))
    r.run("ingest", "UploadImage", "negative bin", {"NOT_FOUND", "INVALID_ARGUMENT"}, up(bin_id=-5), "bin_id")
    r.run("ingest", "-", "nothing written by refused uploads", OK,
          lambda: check_eq(int(s.psql("SELECT count(*) FROM images")), images_before, "images rows"))
    r.run("ingest", "-", "no stray objects after refused uploads", OK,
          lambda: check_eq(count_files(s.work / "objects"), 0, "object files"))

    # duplicates and concurrency
    ts = now_ms(-30)
    first = stub.UploadImage(pb.UploadImageRequest(captured_at_unix_ms=ts, image=jpeg), metadata=dmeta, timeout=T)

    def dup():
        again = stub.UploadImage(pb.UploadImageRequest(captured_at_unix_ms=ts, image=jpeg), metadata=dmeta, timeout=T)
        if again.image_id != first.image_id or not again.duplicate:
            raise Check(f"duplicate got {again.image_id} duplicate={again.duplicate}")
    r.run("ingest", "UploadImage", "same image twice -> same id, duplicate", OK, dup)

    same = lid_photo(0.8, 99)
    ts2 = now_ms(-20)

    def concurrent_same():
        with cf.ThreadPoolExecutor(32) as ex:
            futs = [ex.submit(stub.UploadImage, pb.UploadImageRequest(captured_at_unix_ms=ts2, image=same),
                              metadata=dmeta, timeout=T) for _ in range(32)]
            ids = {f.result().image_id for f in futs}
        if len(ids) != 1:
            raise Check(f"32 concurrent identical uploads gave {len(ids)} ids")
        n = int(s.psql(f"SELECT count(*) FROM images WHERE id = '{ids.pop()}'"))
        check_eq(n, 1, "rows for the image")
    r.run("ingest", "UploadImage", "32 concurrent identical uploads -> one row", OK, concurrent_same)

    # chunks
    def chunks(parts):
        def f():
            stub.UploadImageChunks(iter(parts), metadata=dmeta, timeout=T)
        return f

    H = lambda total, **kw: pb.UploadImageChunk(header=pb.UploadHeader(captured_at_unix_ms=now_ms(-10),
                                                                        total_bytes=total, **kw))
    D = lambda b: pb.UploadImageChunk(data=b)
    big = big_jpeg(8 << 20)
    r.run("ingest", "UploadImageChunks", "no token", U,
          lambda: stub.UploadImageChunks(iter([H(len(jpeg)), D(jpeg)]), timeout=T))
    r.run("ingest", "UploadImageChunks", "empty stream", I, chunks([]), "part")
    r.run("ingest", "UploadImageChunks", "data before header", I, chunks([D(jpeg)]), "part")
    r.run("ingest", "UploadImageChunks", "two headers", I, chunks([H(len(jpeg)), H(len(jpeg)), D(jpeg)]), "part")
    r.run("ingest", "UploadImageChunks", "total_bytes u64 max", I, chunks([H(2**64 - 1), D(jpeg)]), "image")
    r.run("ingest", "UploadImageChunks", "total_bytes 0, no data", I, chunks([H(0)]), "image")
    r.run("ingest", "UploadImageChunks", "fewer bytes than announced", I,
          chunks([H(len(jpeg) + 10), D(jpeg)]), "total_bytes")
    r.run("ingest", "UploadImageChunks", "more bytes than announced", I,
          chunks([H(len(jpeg) - 10), D(jpeg)]), "total_bytes")
    r.run("ingest", "UploadImageChunks", "truncated JPEG", I, chunks([H(len(jpeg) // 2), D(jpeg[: len(jpeg) // 2])]),
          "image")
    r.run("ingest", "UploadImageChunks", "8 MB JPEG in 64 KiB chunks", OK,
          chunks([H(len(big))] + [D(big[i:i + 65536]) for i in range(0, len(big), 65536)]))
    r.run("ingest", "UploadImageChunks", "13 MB over the device's 12 MB", I,
          chunks([H(13 << 20), D(b"\xff\xd8\xff" + b"\0" * 1000)]), "image")
    r.run("ingest", "UploadImageChunks", "100k empty data chunks", I,
          chunks([H(len(jpeg))] + [D(b"")] * 100_000), "total_bytes")

    # readings
    def rr(meta=dmeta, **kw):
        def f():
            req = dict(observed_at_unix_ms=now_ms(-5), fill_fraction=0.4, source=pb.READING_SOURCE_ULTRASONIC)
            req.update(kw)
            stub.ReportReading(pb.ReportReadingRequest(**req), metadata=meta, timeout=T)
        return f

    readings_before = int(s.psql("SELECT count(*) FROM fill_readings"))
    r.run("ingest", "ReportReading", "no token", U, rr(meta=None))
    r.run("ingest", "ReportReading", "fill NaN", I, rr(fill_fraction=math.nan), "fill_fraction")
    r.run("ingest", "ReportReading", "fill +inf", I, rr(fill_fraction=math.inf), "fill_fraction")
    r.run("ingest", "ReportReading", "fill -0.1", I, rr(fill_fraction=-0.1), "fill_fraction")
    r.run("ingest", "ReportReading", "fill 7", I, rr(fill_fraction=7.0), "fill_fraction")
    r.run("ingest", "ReportReading", "source unspecified", I, rr(source=0), "source")
    r.run("ingest", "ReportReading", "source 99 (unknown enum)", I, rr(source=99), "source")
    r.run("ingest", "ReportReading", "observed far future", I, rr(observed_at_unix_ms=now_ms(86400 * 365)),
          "observed_at_unix_ms")
    r.run("ingest", "ReportReading", "observed i64 min", I, rr(observed_at_unix_ms=-(2**63)), "observed_at_unix_ms")
    r.run("ingest", "ReportReading", "another device's bin", {"PERMISSION_DENIED"}, rr(bin_id=other_bin))
    r.run("ingest", "ReportReading", "emptied by a sensor", I, rr(emptied=True), "emptied")
    r.run("ingest", "ReportReading", "emptied yet 0.9 full", I,
          rr(emptied=True, fill_fraction=0.9, source=pb.READING_SOURCE_DRIVER), "fill_fraction")
    r.run("ingest", "-", "nothing written by refused readings", OK,
          lambda: check_eq(int(s.psql("SELECT count(*) FROM fill_readings")), readings_before, "fill_readings rows"))

    obs = now_ms(-3)

    def dup_readings():
        req = pb.ReportReadingRequest(observed_at_unix_ms=obs, fill_fraction=0.55, source=pb.READING_SOURCE_WEIGHT)
        ids = set()
        with cf.ThreadPoolExecutor(16) as ex:
            for resp in ex.map(lambda _: stub.ReportReading(req, metadata=dmeta, timeout=T), range(10_000)):
                ids.add(resp.reading_id)
        n = int(s.psql(f"SELECT count(*) FROM fill_readings WHERE device_id = '{dev.device_id}' "
                       f"AND source <> 'camera' AND observed_at = to_timestamp({obs} / 1000.0)"))
        if len(ids) != 1 or n != 1:
            raise Check(f"10k identical readings -> {len(ids)} ids, {n} rows")
        return f"{len(ids)} id, {n} row"
    r.run("ingest", "ReportReading", "10k duplicate readings (16 at once) -> one row", OK, dup_readings)

    def hb(meta=dmeta, firmware="1.2.3"):
        def f():
            stub.Heartbeat(pb.HeartbeatRequest(firmware=firmware), metadata=meta, timeout=T)
        return f
    r.run("ingest", "Heartbeat", "no token", U, hb(meta=None))
    r.run("ingest", "Heartbeat", "ok", OK, hb())
    r.run("ingest", "Heartbeat", "NUL in firmware", I, hb(firmware="1.0\x00x"), "firmware")
    r.run("ingest", "Heartbeat", "1 MB firmware", I, hb(firmware="9" * (1 << 20)), "firmware")

    def rv(meta=admin, device_id=""):
        def f():
            stub.RevokeDevice(pb.RevokeDeviceRequest(device_id=device_id), metadata=meta, timeout=T)
        return f
    r.run("ingest", "RevokeDevice", "no token", U, rv(meta=None, device_id=dev.device_id))
    r.run("ingest", "RevokeDevice", "device token", U, rv(meta=dmeta, device_id=dev.device_id))
    r.run("ingest", "RevokeDevice", "empty id", I, rv(), "device_id")
    r.run("ingest", "RevokeDevice", "NUL id", I, rv(device_id="\x00"), "device_id")
    r.run("ingest", "RevokeDevice", "unknown uuid", {"NOT_FOUND"}, rv(device_id=str(uuid.uuid4())))


def check_eq(got, want, what):
    if got != want:
        raise Check(f"{what}: {got}, expected {want}")
    return f"{what}: {got}"


def count_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


# ---- vision

def vision_cases(s: Stack, r: Runner):
    stub = vision_grpc.VisionServiceStub(s.channels["vision"])
    pb = vision_pb2
    T = CALL_TIMEOUT
    I, OK = {"INVALID_ARGUMENT"}, {"OK"}
    jpeg = lid_photo(0.5, 3)

    def cf_(image, rid="x"):
        def f():
            stub.ClassifyFill(pb.ClassifyFillRequest(image=image, request_id=rid), timeout=T)
        return f
    r.run("vision", "ClassifyFill", "good JPEG", OK, cf_(jpeg))
    r.run("vision", "ClassifyFill", "0-byte image", I, cf_(b""), "image")
    r.run("vision", "ClassifyFill", "truncated JPEG", I, cf_(jpeg[: len(jpeg) // 2]), "image")
    r.run("vision", "ClassifyFill", "random bytes", I, cf_(os.urandom(4096)), "image")
    r.run("vision", "ClassifyFill", "PNG bomb 60000x60000", I, cf_(png_bomb(60000, 60000)), "image")
    r.run("vision", "ClassifyFill", "PNG 1x1", OK | I, cf_(png_bomb(1, 1)), "image")
    r.run("vision", "ClassifyFill", "9 MB image (limit 8 MB)", I | {"RESOURCE_EXHAUSTED"}, cf_(big_jpeg(9 << 20)),
          "image")
    r.run("vision", "ClassifyFill", "30 MB message (limit 20 MB)", I | TOO_BIG,
          cf_(b"\xff\xd8\xff" + b"\0" * (30 << 20)))
    r.run("vision", "ClassifyFill", "NUL and 1 MB request_id", OK, cf_(jpeg, "\x00" * (1 << 20)))

    def stream(items):
        def f():
            out = list(stub.ClassifyFillStream(iter(items), timeout=T))
            if len(out) != len(items):
                raise Check(f"{len(items)} in, {len(out)} out")
            bad = [o for o in out if o.error]
            return f"{len(out)} answers, {len(bad)} in-band errors"
        return f
    r.run("vision", "ClassifyFillStream", "empty stream", OK, stream([]))
    r.run("vision", "ClassifyFillStream", "mixed good/bad", OK,
          stream([pb.ClassifyFillRequest(image=x, request_id=str(i)) for i, x in
                  enumerate([jpeg, b"", os.urandom(100), jpeg[:100], jpeg])]))
    r.run("vision", "ExtractFeatures", "0-byte image", I,
          lambda: stub.ExtractFeatures(pb.ExtractFeaturesRequest(image=b""), timeout=T), "image")
    r.run("vision", "ExtractFeatures", "good, normalised", OK,
          lambda: stub.ExtractFeatures(pb.ExtractFeaturesRequest(image=jpeg, l2_normalise=True), timeout=T))
    r.run("vision", "FindSimilar", "k 4e9", I,
          lambda: stub.FindSimilar(pb.FindSimilarRequest(image=jpeg, k=4_000_000_000), timeout=T), "k")
    r.run("vision", "FindSimilar", "k 0, no index", OK,
          lambda: stub.FindSimilar(pb.FindSimilarRequest(image=jpeg, k=0), timeout=T))
    r.run("vision", "GetModelInfo", "ok", OK, lambda: stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=T))

    def flood():
        with cf.ThreadPoolExecutor(32) as ex:
            futs = [ex.submit(lambda: stub.ClassifyFill(pb.ClassifyFillRequest(image=jpeg), timeout=T))
                    for _ in range(400)]
            codes = {}
            for f in futs:
                try:
                    f.result()
                    c = "OK"
                except grpc.RpcError as e:
                    c = e.code().name
                codes[c] = codes.get(c, 0) + 1
        if set(codes) - {"OK", "RESOURCE_EXHAUSTED"}:
            raise Check(f"codes {codes}")
        return str(codes)
    r.run("vision", "ClassifyFill", "400 calls, 32 at once", OK, flood)


# ---- planner

def planner_cases(s: Stack, r: Runner):
    stub = planner_grpc.PlannerServiceStub(s.channels["planner"])
    pb = planner_pb2
    T = CALL_TIMEOUT
    dash = md(("authorization", f"Bearer {DASH}"))
    plan = md(("authorization", f"Bearer {PLANNER}"))
    I, U, OK, NF = {"INVALID_ARGUMENT"}, {"UNAUTHENTICATED"}, {"OK"}, {"NOT_FOUND"}
    region = pb.Area(region="monaco")

    def ov(meta=dash, **kw):
        def f():
            stub.GetFleetOverview(pb.GetFleetOverviewRequest(**{"area": region, **kw}), metadata=meta, timeout=T)
        return f
    r.run("planner", "GetFleetOverview", "no token", U, ov(meta=None))
    r.run("planner", "GetFleetOverview", "wrong token", U, ov(meta=md(("authorization", "Bearer x" * 3))))
    r.run("planner", "GetFleetOverview", "ok", OK, ov())
    r.run("planner", "GetFleetOverview", "no area", I, ov(area=None), "area")
    r.run("planner", "GetFleetOverview", "unknown region", NF, ov(area=pb.Area(region="atlantis")))
    r.run("planner", "GetFleetOverview", "NUL in region", I | NF, ov(area=pb.Area(region="mon\x00aco")), "region")
    r.run("planner", "GetFleetOverview", "bbox NaN", I,
          ov(area=pb.Area(bbox=pb.BoundingBox(min_lon=math.nan, min_lat=0, max_lon=1, max_lat=1))), "bbox")
    r.run("planner", "GetFleetOverview", "bbox inf", I,
          ov(area=pb.Area(bbox=pb.BoundingBox(min_lon=-math.inf, min_lat=0, max_lon=math.inf, max_lat=1))), "bbox")
    r.run("planner", "GetFleetOverview", "bbox inverted", I,
          ov(area=pb.Area(bbox=pb.BoundingBox(min_lon=8, min_lat=44, max_lon=7, max_lat=43))), "bbox")
    r.run("planner", "GetFleetOverview", "bbox lat 95", I,
          ov(area=pb.Area(bbox=pb.BoundingBox(min_lon=0, min_lat=0, max_lon=1, max_lat=95))), "bbox")
    r.run("planner", "GetFleetOverview", "page_size -1", I | OK, ov(page_size=-1), "page_size")
    r.run("planner", "GetFleetOverview", "page_size 2^31-1", I | OK, ov(page_size=2**31 - 1), "page_size")
    r.run("planner", "GetFleetOverview", "garbage page_token", I, ov(page_token="\x00garbage"), "page_token")
    r.run("planner", "GetBin", "bin 0", I, lambda: stub.GetBin(pb.GetBinRequest(bin_id=0), metadata=dash, timeout=T),
          "bin_id")
    r.run("planner", "GetBin", "bin -1", I,
          lambda: stub.GetBin(pb.GetBinRequest(bin_id=-1), metadata=dash, timeout=T), "bin_id")
    r.run("planner", "GetBin", "unknown bin", NF,
          lambda: stub.GetBin(pb.GetBinRequest(bin_id=2**62), metadata=dash, timeout=T))
    r.run("planner", "GetBin", "known bin", OK,
          lambda: stub.GetBin(pb.GetBinRequest(bin_id=s.bins[0]), metadata=dash, timeout=T))

    tomorrow = (datetime.now(ZoneInfo("Europe/Monaco")) + timedelta(days=1)).date().isoformat()
    plans_before = int(s.psql("SELECT count(*) FROM plans"))

    def pd(meta=plan, **kw):
        def f():
            req = dict(region="monaco", date=tomorrow, time_budget_s=3)
            req.update(kw)
            msgs = list(stub.PlanDay(pb.PlanDayRequest(**req), metadata=meta, timeout=T))
            last = msgs[-1].WhichOneof("event") if msgs else None
            if last != "done":
                raise Check(f"stream ended OK without done (last {last})")
        return f
    r.run("planner", "PlanDay", "no token", U, pd(meta=None))
    r.run("planner", "PlanDay", "dashboard token", {"PERMISSION_DENIED"}, pd(meta=dash))
    r.run("planner", "PlanDay", "empty date", I, pd(date=""), "date")
    r.run("planner", "PlanDay", "2026-02-31", I, pd(date="2026-02-31"), "date")
    r.run("planner", "PlanDay", "9999-12-31", I, pd(date="9999-12-31"), "date")
    r.run("planner", "PlanDay", "-0001-01-01", I, pd(date="-0001-01-01"), "date")
    r.run("planner", "PlanDay", "yesterday", I, pd(date=(date.today() - timedelta(days=2)).isoformat()), "date")
    r.run("planner", "PlanDay", "NUL in date", I, pd(date="2026\x00-01-01"), "date")
    r.run("planner", "PlanDay", "unknown region", NF, pd(region="atlantis"))
    r.run("planner", "PlanDay", "empty region", I | NF, pd(region=""), "region")
    r.run("planner", "PlanDay", "NUL in region", I | NF, pd(region="mon\x00aco"), "region")
    r.run("planner", "PlanDay", "time budget NaN", I, pd(time_budget_s=math.nan), "time_budget")
    r.run("planner", "PlanDay", "time budget inf", I, pd(time_budget_s=math.inf), "time_budget")
    r.run("planner", "PlanDay", "time budget -1", I, pd(time_budget_s=-1), "time_budget")
    r.run("planner", "PlanDay", "time budget 1e30", I, pd(time_budget_s=1e30), "time_budget")
    r.run("planner", "PlanDay", "risk_level 5", I, pd(risk_level=5), "risk_level")
    r.run("planner", "PlanDay", "risk_level NaN", I, pd(risk_level=math.nan), "risk_level")
    r.run("planner", "PlanDay", "may_fill inf", I, pd(may_fill_threshold=math.inf), "may_fill")
    r.run("planner", "-", "no plans stored by refused PlanDays", OK,
          lambda: check_eq(int(s.psql("SELECT count(*) FROM plans")), plans_before, "plans rows"))

    def concurrent_plans():
        def one(_):
            try:
                msgs = list(stub.PlanDay(pb.PlanDayRequest(region="monaco", date=tomorrow, time_budget_s=2),
                                         metadata=plan, timeout=T))
                return "done" if msgs and msgs[-1].WhichOneof("event") == "done" else "no-done"
            except grpc.RpcError as e:
                return e.code().name
        with cf.ThreadPoolExecutor(4) as ex:
            outcomes = list(ex.map(one, range(4)))
        if outcomes.count("done") < 1 or set(outcomes) - {"done", "ABORTED"}:
            raise Check(f"outcomes {outcomes}")
        return str(sorted(outcomes))
    r.run("planner", "PlanDay", "4 concurrent for one day", OK, concurrent_plans)

    msgs = list(stub.PlanDay(pb.PlanDayRequest(region="monaco", date=tomorrow, time_budget_s=2), metadata=plan,
                             timeout=T))
    plan_id = msgs[0].accepted.plan_id
    r.run("planner", "GetPlan", "plan 0", I, lambda: stub.GetPlan(pb.GetPlanRequest(plan_id=0), metadata=dash,
                                                                   timeout=T), "plan_id")
    r.run("planner", "GetPlan", "unknown plan", NF,
          lambda: stub.GetPlan(pb.GetPlanRequest(plan_id=2**62), metadata=dash, timeout=T))
    r.run("planner", "GetPlan", "the plan", OK,
          lambda: stub.GetPlan(pb.GetPlanRequest(plan_id=plan_id), metadata=dash, timeout=T))

    def lp(**kw):
        def f():
            stub.ListPlans(pb.ListPlansRequest(**kw), metadata=dash, timeout=T)
        return f
    r.run("planner", "ListPlans", "all", OK, lp())
    r.run("planner", "ListPlans", "bad from_date", I, lp(from_date="yesterday"), "from_date")
    r.run("planner", "ListPlans", "from after to", I | OK, lp(from_date="2030-01-01", to_date="2020-01-01"),
          "from_date")
    r.run("planner", "ListPlans", "limit 4e9", I | OK, lp(limit=4_000_000_000), "limit")
    r.run("planner", "ListPlans", "NUL in region", I | OK | NF, lp(region="\x00"), "region")

    r.run("planner", "CommitPlan", "dashboard token", {"PERMISSION_DENIED"},
          lambda: stub.CommitPlan(pb.CommitPlanRequest(plan_id=plan_id), metadata=dash, timeout=T))
    r.run("planner", "CommitPlan", "unknown plan", NF,
          lambda: stub.CommitPlan(pb.CommitPlanRequest(plan_id=2**62), metadata=plan, timeout=T))
    r.run("planner", "CommitPlan", "commit", OK,
          lambda: stub.CommitPlan(pb.CommitPlanRequest(plan_id=plan_id), metadata=plan, timeout=T))
    r.run("planner", "CommitPlan", "commit twice", OK | {"FAILED_PRECONDITION"},
          lambda: stub.CommitPlan(pb.CommitPlanRequest(plan_id=plan_id), metadata=plan, timeout=T))

    def rp(**kw):
        def f():
            req = dict(plan_id=plan_id, time_budget_s=2)
            req.update(kw)
            msgs = list(stub.ReplanFrom(pb.ReplanFromRequest(**req), metadata=plan, timeout=T))
            last = msgs[-1].WhichOneof("event") if msgs else None
            if last != "done":
                raise Check(f"stream ended OK without done (last {last})")
        return f
    r.run("planner", "ReplanFrom", "unknown plan", NF, rp(plan_id=2**62))
    r.run("planner", "ReplanFrom", "plan -1", I, rp(plan_id=-1), "plan_id")
    r.run("planner", "ReplanFrom", "time budget NaN", I, rp(time_budget_s=math.nan), "time_budget")
    r.run("planner", "ReplanFrom", "as_of i64 max", I, rp(as_of_ms=2**63 - 1), "as_of_ms")
    r.run("planner", "ReplanFrom", "as_of year 2200", I | {"FAILED_PRECONDITION"}, rp(as_of_ms=7258118400000),
          "as_of_ms")
    r.run("planner", "ReplanFrom", "100k unknown done stops", I | {"NOT_FOUND"},
          rp(done_stop_ids=list(range(1, 100_001))), "done_stop_ids")
    r.run("planner", "ReplanFrom", "broken truck -1", I | {"NOT_FOUND"}, rp(broken_truck_ids=[-1]),
          "broken_truck_ids")
    r.run("planner", "ReplanFrom", "replan now", OK | {"FAILED_PRECONDITION"}, rp())

    def wf(**kw):
        def f():
            req = dict(area=region, poll_ms=50)
            req.update(kw)
            call = stub.WatchFill(pb.WatchFillRequest(**req), metadata=dash, timeout=2)
            try:
                for _ in call:
                    pass
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    return "streamed until the client's 2 s deadline"
                raise
        return f
    r.run("planner", "WatchFill", "no area", I, wf(area=None), "area")
    r.run("planner", "WatchFill", "alert_fill NaN", I, wf(alert_fill=math.nan), "alert_fill")
    r.run("planner", "WatchFill", "alert_fill inf", I, wf(alert_fill=math.inf), "alert_fill")
    r.run("planner", "WatchFill", "alert_fill -1", I, wf(alert_fill=-1), "alert_fill")
    r.run("planner", "WatchFill", "bbox NaN", I,
          wf(area=pb.Area(bbox=pb.BoundingBox(min_lon=math.nan, max_lon=1, max_lat=1))), "bbox")
    r.run("planner", "WatchFill", "poll 0 (default)", OK, wf())


# ---- load and memory

def load_cases(s: Stack, r: Runner, rss):
    ingest = ingest_grpc.IngestServiceStub(s.channels["ingest"])
    vision = vision_grpc.VisionServiceStub(s.channels["vision"])
    pb = ingest_pb2
    dev_id, token = s.device
    dmeta = md(("authorization", f"Bearer {token}"), ("x-device-id", dev_id))
    big = big_jpeg(3 << 20)
    bomb = png_bomb(20000, 20000)

    def hammer():
        # 3 rounds of 16 concurrent 3 MB uploads, bombs and truncated files each.
        for round_ in range(3):
            with cf.ThreadPoolExecutor(16) as ex:
                futs = []
                for i in range(16):
                    img = [big[:-2] + bytes([round_, i]), bomb, big[: len(big) // 3]][i % 3]
                    futs.append(ex.submit(ingest.UploadImage, pb.UploadImageRequest(
                        captured_at_unix_ms=now_ms(-1 - i - 16 * round_), image=img), metadata=dmeta,
                        timeout=CALL_TIMEOUT))
                    futs.append(ex.submit(vision.ClassifyFill, vision_pb2.ClassifyFillRequest(image=img),
                                          timeout=CALL_TIMEOUT))
                for f in futs:
                    try:
                        f.result()
                    except grpc.RpcError as e:
                        if e.code().name not in {"INVALID_ARGUMENT"} | TOO_BIG:
                            raise Check(f"{e.code().name}: {e.details()}")
        rss["after load"] = {k: rss_mb(p.pid) for k, p in s.procs.items()}
        growth = {k: rss["after load"][k] - rss["idle"][k] for k in ("ingest", "vision")}
        limit = 600  # MB over idle: 3 MB bodies x 32 in flight, 400 MP bombs refused unread
        if any(g > limit for g in growth.values()):
            raise Check(f"RSS growth {growth} MB exceeds {limit} MB")
        return "growth MB " + ", ".join(f"{k} {v:+.0f}" for k, v in growth.items())
    r.run("load", "-", "96 concurrent 3 MB/bomb/truncated uploads: RSS bounded", {"OK"}, hammer)

    admin = md(("authorization", f"Bearer {ADMIN}"))
    n_devices = s.args.signin_devices

    def sign_ins():
        # Issue #18: each first sign-in used to keep ~18 MB (argon2's buffer).
        devices = [ingest.RegisterDevice(pb.RegisterDeviceRequest(bin_id=s.bins[0]), metadata=admin,
                                         timeout=CALL_TIMEOUT) for _ in range(n_devices)]
        before = rss_mb(s.procs["ingest"].pid)

        def hb(d):
            ingest.Heartbeat(pb.HeartbeatRequest(firmware="1.0"), timeout=CALL_TIMEOUT,
                             metadata=md(("authorization", f"Bearer {d.token}"), ("x-device-id", d.device_id)))
        with cf.ThreadPoolExecutor(16) as ex:
            list(ex.map(hb, devices))
        after = rss_mb(s.procs["ingest"].pid)
        rss[f"sign-in x{n_devices}"] = {"ingest before": before, "ingest after": after}
        if after - before > 100:
            raise Check(f"ingest RSS {before:.0f} -> {after:.0f} MB over {n_devices} first sign-ins")
        return f"{n_devices} first sign-ins: ingest RSS {before:.0f} -> {after:.0f} MB"
    r.run("load", "Heartbeat", f"{n_devices} devices sign in once each: RSS within 100 MB", {"OK"}, sign_ins)


if __name__ == "__main__":
    main()
