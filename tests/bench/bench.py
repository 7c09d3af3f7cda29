#!/usr/bin/python3
# bench.py -- the dkim-tools benchmark (run by tests/bench/run.sh, which
# builds the C helpers; "make bench" runs that).
#
# usage: bench.py BIN HELPERS TMP RESULTS
#   BIN      directory with dkim-sign and dkim-verify
#   HELPERS  directory with brun, floor and odkim-batch built
#   TMP      scratch directory (messages, keys); the caller removes it
#   RESULTS  where to write the Markdown report (tests/bench/RESULTS.md)
#
# Measures, in one run and on the same messages: our binaries, dkimpy,
# Mail::DKIM, libopendkim, mailauth, the floor program and openssl speed;
# prints a
# table and writes RESULTS.md.  Never fails on timing: exit 0 when every
# measurement could be made, 1 when one could not (the report says which).
# The method is written into RESULTS.md (METHOD below).
#
# Environment: BENCH_QUICK=1 fewer repetitions; BENCH_CASES="small big
# batch memory" a subset.

import base64
import datetime
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

SEED = 20240601
DOMAIN = "example.com"
T_SIGN = "1700000000"   # fixed t= for our signer
MB = 1000000            # as openssl speed counts
NBATCH = 1000

BIN, HELP, TMP, RESULTS = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
PEERS = os.path.join(TOP, "tests", "peers")
TD = os.path.join(TOP, "testdata", "sign")
NCPU = os.cpu_count() or 1
QUICK = os.environ.get("BENCH_QUICK") == "1"

SIGN = os.path.join(BIN, "dkim-sign")
VERIFY = os.path.join(BIN, "dkim-verify")
BRUN = os.path.join(HELP, "brun")
FLOOR = os.path.join(HELP, "floor")
# the floor linked with our other run-time libraries, to show their cost
FLOOR_LIBS = "floor+libbsd+libresolv"
FLOOR_LIBS_BIN = os.path.join(HELP, "floor-libs")
ODKIM_BATCH = os.path.join(HELP, "odkim-batch")

problems = []           # measurements that could not be made
notes = []              # things worth saying in RESULTS.md
R = {}                  # results: case -> {implementation: ...}


T0 = time.monotonic()


def log(*a):
    print("[%3.0fs]" % (time.monotonic() - T0), *a, file=sys.stderr,
          flush=True)


def P(*parts):
    return os.path.join(TMP, *parts)


def run(cmd, stdin=None, check=True):
    """Run cmd, return (status, stdout bytes)."""
    with open(stdin or os.devnull, "rb") as f:
        p = subprocess.run(cmd, stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (
            " ".join(cmd), p.returncode,
            p.stderr.decode(errors="replace").strip()[:300]))
    return p.returncode, p.stdout


# ---------------------------------------------------------------- timing

class Series:
    """Repeated timings of one thing: wall clock and CPU (user + sys of
    the process and what it waited for), seconds; peak RSS, KB."""

    def __init__(self, samples):
        self.samples = samples
        w = [s[0] for s in samples]
        c = [s[1] for s in samples]
        self.wall, self.wall_med = min(w), statistics.median(w)
        self.cpu, self.cpu_med = min(c), statistics.median(c)
        self.rss = max(s[2] for s in samples)

    def get(self, clock):
        return self.cpu if clock == "cpu" else self.wall


def brun(cmd, n, warm=1, stdin=None, expect=0, copies=1):
    """Run cmd n times (after warm), return [(wall, cpu, rss KB)]; with
    copies, that many at once each time (wall until the last ends, CPU
    summed)."""
    args = [BRUN, "-c", str(copies), "-n", str(n), "-w", str(warm),
            "-x", str(expect)]
    if stdin:
        args += ["-i", stdin]
    p = subprocess.run(args + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd)[:200],
                           p.stderr.decode(errors="replace").strip()[:300]))
    out = []
    for line in p.stdout.decode().split("\n"):
        if line:
            w, u, s, r = (int(x) for x in line.split())
            out.append((w / 1e9, (u + s) / 1e6, r))
    return out


def measure(specs, rounds, n, warm=1):
    """specs: {key: (cmd, stdin[, copies])}.  Runs each in turn, n runs a
    round (interleaved, so that load changes hit them all alike); returns
    {key: Series}.  A command that fails once is dropped and reported."""
    got = {k: [] for k in specs}
    bad = set()
    for _ in range(rounds):
        for k, spec in specs.items():
            if k in bad:
                continue
            cmd, stdin = spec[0], spec[1]
            copies = spec[2] if len(spec) > 2 else 1
            try:
                got[k] += brun(cmd, n, warm, stdin, copies=copies)
            except RuntimeError as e:
                problems.append("%s: %s" % (k, e))
                log("bench: FAILED %s: %s" % (k, e))
                bad.add(k)
    return {k: Series(v) for k, v in got.items() if v and k not in bad}


def parallel(cmds):
    """Start every command at once; (wall until the last ends, CPU of
    all, 0)."""
    t0 = time.monotonic()
    procs = [subprocess.Popen(c, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for c in cmds]
    cpu, rss, errs = 0.0, 0, []
    for p in procs:
        err = p.stderr.read()
        _, st, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(st)
        cpu += ru.ru_utime + ru.ru_stime
        # no RSS: a child forked from this (big) Python process keeps
        # its pre-exec high-water mark in ru_maxrss
        if p.returncode != 0:
            errs.append("exit %d: %s" % (p.returncode,
                        err.decode(errors="replace").strip()[:200]))
    t = time.monotonic() - t0
    if errs:
        raise RuntimeError("; ".join(errs))
    return t, cpu, rss


# ---------------------------------------------------------------- machine

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mhz = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"cpu MHz\s*:\s*([\d.]+)", f.read())
            if m:
                mhz = " (%.0f MHz)" % float(m.group(1))
    except OSError:
        pass
    flags = ""
    with open("/proc/cpuinfo") as f:
        m = re.search(r"^flags\s*:(.*)$", f.read(), re.M)
        if m:
            fl = set(m.group(1).split())
            flags = ", ".join(x for x in ("sha_ni", "avx2", "avx512f",
                                          "adx", "bmi2") if x in fl)
    return {
        "cpu": cpu + mhz,
        "flags": flags,
        "cores": NCPU,
        "kernel": os.uname().release,
        "openssl": subprocess.run(["openssl", "version"],
                                  stdout=subprocess.PIPE,
                                  text=True).stdout.strip(),
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def versions():
    v = {}
    for pkg, name in (("python3-dkim", "dkimpy"),
                      ("libmail-dkim-perl", "Mail::DKIM"),
                      ("libopendkim11", "libopendkim")):
        p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        v[name] = p.stdout.strip() or "?"
    try:
        with open(os.path.join(PEERS, "node_modules", "mailauth",
                               "package.json")) as f:
            v["mailauth"] = json.load(f)["version"]
        v["node"] = subprocess.run(["node", "--version"],
                                   stdout=subprocess.PIPE, text=True,
                                   stderr=subprocess.DEVNULL).stdout.strip()
    except (OSError, ValueError, KeyError):
        v["mailauth"] = v["node"] = "?"
    p = subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    v["dkim-tools"] = p.stdout.strip() or "?"
    return v


# ---------------------------------------------------------------- openssl

def openssl_speed():
    """openssl speed, one process, its default CPU-time accounting:
    {name: (per CPU second, per wall second)} for sha256 (MB, 16 KB
    blocks, -evp), rsa_sign, rsa_verify (2048), ed_sign, ed_verify.
    Each test runs for `secs` seconds of wall clock (openssl's alarm), so
    count / secs is the wall-clock rate."""
    secs = 1 if QUICK else 2
    r = {}
    out = subprocess.run(["openssl", "speed", "-mr", "-seconds", str(secs),
                          "-bytes", "16384", "-evp", "sha256"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    m = re.search(r"^\+R:(\d+):sha256:([\d.]+)", out, re.M)
    if m and float(m.group(2)) > 0:
        n = int(m.group(1)) * 16384 / MB
        r["sha256"] = (n / float(m.group(2)), n / secs)
    out = subprocess.run(["openssl", "speed", "-mr", "-seconds", str(secs),
                          "rsa2048", "ed25519"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    for tag, name in (("R1", "rsa_sign"), ("R2", "rsa_verify"),
                      ("R8", "ed_sign"), ("R9", "ed_verify")):
        m = re.search(r"^\+%s:(\d+):.*:([\d.]+)$" % tag, out, re.M)
        if m and float(m.group(2)) > 0:
            n = int(m.group(1))
            r[name] = (n / float(m.group(2)), n / secs)
    return r


# ---------------------------------------------------------------- messages

def vocabulary(rng):
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 1,
               1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(letters, weights, k=rng.randint(1, 10)))
            for _ in range(500)]


def body_lines(rng, vocab, nbytes):
    """Text lines (no line ends) of about nbytes: words, some double
    spaces, some trailing white space, blank lines between paragraphs."""
    out, total = [], 0
    while total < nbytes:
        words = rng.choices(vocab, k=rng.randint(6, 12))
        line = " ".join(words)
        r = rng.random()
        if r < 0.08:
            line = line.replace(" ", "  ", 1)
        elif r < 0.12:
            line += " \t"
        out.append(line)
        if rng.random() < 0.12:
            out.append("")
        total += len(line) + 2
    return out


def message(rng, vocab, n, nbytes):
    hdr = [
        "Return-Path: <alice@%s>" % DOMAIN,
        "Received: from mail.%s (mail.%s [192.0.2.1])" % (DOMAIN, DOMAIN),
        "\tby mx.example.org with ESMTPS id %08x" % rng.getrandbits(32),
        "\tfor <bob@example.org>; Mon, 1 Jan 2024 12:00:00 +0000",
        "From: Alice Example <alice@%s>" % DOMAIN,
        "To: Bob Example <bob@example.org>",
        "Subject: benchmark message %d %s" % (n, " ".join(
            rng.choices(vocab, k=4))),
        "Date: Mon, 1 Jan 2024 12:%02d:%02d +0000" % (n // 60 % 60, n % 60),
        "Message-ID: <%d.%08x@%s>" % (n, rng.getrandbits(32), DOMAIN),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    head = "\r\n".join(hdr) + "\r\n\r\n"
    body = body_lines(rng, vocab, nbytes - len(head))
    return (head + "\r\n".join(body) + "\r\n").encode()


def attachment_message(rng, vocab, n, nbytes):
    """A short text part and a base64 attachment: most of a big mail."""
    text = message(rng, vocab, n, 1200)
    head, body = text.split(b"\r\n\r\n", 1)
    head = head.replace(b"Content-Type: text/plain; charset=us-ascii",
                        b"Content-Type: multipart/mixed; "
                        b"boundary=\"=-bench-boundary\"")
    raw = base64.b64encode(rng.randbytes(nbytes * 3 // 4 - 2000))
    lines = [raw[i:i + 76] for i in range(0, len(raw), 76)]
    parts = [head, b"", b"--=-bench-boundary",
             b"Content-Type: text/plain; charset=us-ascii", b"",
             body.rstrip(b"\r\n"), b"--=-bench-boundary",
             b"Content-Type: application/octet-stream",
             b"Content-Transfer-Encoding: base64",
             b"Content-Disposition: attachment; filename=\"data.bin\"", b""]
    parts += lines
    parts += [b"--=-bench-boundary--", b""]
    return b"\r\n".join(parts)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def gen_messages():
    rng = random.Random(SEED)
    vocab = vocabulary(rng)
    write(P("m2k.eml"), message(rng, vocab, 1, 2048))
    big = message(rng, vocab, 2, 10 * MB)
    write(P("m10m.eml"), big)
    write(P("m10m-att.eml"), attachment_message(rng, vocab, 3, 10 * MB))
    # 100 MB: the same header, the 10 MB body ten times
    head, body = big.split(b"\r\n\r\n", 1)
    with open(P("m100m.eml"), "wb") as f:
        f.write(head + b"\r\n\r\n")
        for _ in range(10):
            f.write(body)
    os.makedirs(P("batch", "plain"))
    for i in range(NBATCH):
        write(P("batch", "plain", "%04d.eml" % i),
              message(rng, vocab, 1000 + i, 4096))


def setup_keys():
    os.makedirs(P("keys"))
    for k in ("rsa.pem", "rsa.pkcs1.pem", "ed25519.pem", "ed25519.key"):
        shutil.copy(os.path.join(TD, k), P("keys", k))
        os.chmod(P("keys", k), 0o600)
    shutil.copy(os.path.join(TD, "dns.txt"), P("keys", "dns.txt"))
    # the same records as a zone file for dkim-verify -K (strings of
    # at most 255 bytes)
    zone = []
    with open(P("keys", "dns.txt")) as f:
        for line in f:
            m = re.match(r'^(\S+)\s+TXT\s+"(.*)"\s*$', line)
            if m:
                v = m.group(2)
                # the floor's public key: p= decoded, as a verifier has it
                sel = m.group(1).split(".")[0]
                p = re.search(r"p=([A-Za-z0-9+/=]+)", v).group(1)
                write(P("keys", sel + ".p.bin"), base64.b64decode(p))
                parts = " ".join('"%s"' % v[i:i + 255]
                                 for i in range(0, len(v), 255))
                zone.append("%s. 300 IN TXT %s" % (m.group(1), parts))
    write(P("keys", "keys.zone"), ("\n".join(zone) + "\n").encode())


def our_sign_cmd(sel, canon="relaxed/relaxed", path=None):
    key = P("keys", "rsa.pem" if sel == "rsa" else "ed25519.pem")
    cmd = [SIGN, "-d", DOMAIN, "-s", sel, "-k", key, "-c", canon,
           "-t", T_SIGN]
    return cmd + ([path] if path else [])


def sign_to(src, dst, sel, canon="relaxed/relaxed"):
    _, out = run(our_sign_cmd(sel, canon, src))
    write(dst, out)


def sign_inputs():
    sign_to(P("m2k.eml"), P("m2k-rsa-relaxed.eml"), "rsa")
    sign_to(P("m2k.eml"), P("m2k-rsa-simple.eml"), "rsa", "simple/simple")
    sign_to(P("m2k.eml"), P("m2k-ed.eml"), "ed25519")
    for c in ("simple", "relaxed"):
        sign_to(P("m10m.eml"), P("m10m-rsa-%s.eml" % c), "rsa",
                "%s/%s" % (c, c))
        sign_to(P("m10m-att.eml"), P("m10m-att-rsa-%s.eml" % c), "rsa",
                "%s/%s" % (c, c))
        sign_to(P("m100m.eml"), P("m100m-rsa-%s.eml" % c), "rsa",
                "%s/%s" % (c, c))
    # the floor's signatures over the 2 KB message
    for k in ("rsa", "ed25519"):
        _, sig = run([FLOOR, "sign", P("keys", k + ".pem"), P("m2k.eml")])
        write(P("floor-%s.sig" % k), sig)
    # batch: two Maildirs, 1000 messages each
    jobs = []
    for sel, d in (("rsa", "rsa"), ("ed25519", "ed")):
        for sub in ("new", "cur", "tmp"):
            os.makedirs(P("batch", d, sub))
        for i in range(NBATCH):
            jobs.append((P("batch", "plain", "%04d.eml" % i),
                         P("batch", d, "new", "%04d.eml" % i), sel))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                src, dst, sel = jobs.pop()
            sign_to(src, dst, sel)
    ts = [threading.Thread(target=worker) for _ in range(NCPU)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


# ---------------------------------------------------------------- the peers

def peer_sign_cmds(sel, canon="relaxed/relaxed"):
    """{implementation: cmd} signing stdin."""
    rsa = sel == "rsa"
    c = {
        "dkimpy": [os.path.join(PEERS, "dkimpy-sign"), "-d", DOMAIN, "-s",
                   sel, "-c", canon, "-k",
                   P("keys", "rsa.pkcs1.pem" if rsa else "ed25519.key")],
        "libopendkim": [os.path.join(PEERS, "opendkim-peer"), "sign", "-d",
                        DOMAIN, "-s", sel, "-c", canon, "-k",
                        P("keys", "rsa.pem" if rsa else "ed25519.pem")],
        "mailauth": [os.path.join(PEERS, "mailauth-sign"), "-d", DOMAIN,
                     "-s", sel, "-c", canon, "-k",
                     P("keys", "rsa.pem" if rsa else "ed25519.pem")],
    }
    if rsa:
        c["Mail::DKIM"] = [os.path.join(PEERS, "maildkim-sign"), "-d",
                           DOMAIN, "-s", sel, "-c", canon, "-k",
                           P("keys", "rsa.pem")]
    return c


def peer_verify_cmds(rsa=True):
    z = P("keys", "dns.txt")
    c = {
        "dkimpy": [os.path.join(PEERS, "dkimpy-verify"), "--zone", z],
        "libopendkim": [os.path.join(PEERS, "opendkim-peer"), "verify",
                        "--zone", z],
        "mailauth": [os.path.join(PEERS, "mailauth-verify"), "--zone", z],
    }
    if rsa:
        c["Mail::DKIM"] = [os.path.join(PEERS, "maildkim-verify"),
                           "--zone", z]
    return c


def our_verify_cmd(*extra):
    return [VERIFY, "-K", P("keys", "keys.zone")] + list(extra)


def check_verifiers(path, rsa, only=None):
    """Every verifier (of only, if given) must say pass for path, or it
    is not measured."""
    ok = {}
    st, out = run(our_verify_cmd(path), check=False)
    ok["ours"] = st == 0 and b"dkim=pass" in out
    if not ok["ours"]:
        problems.append("dkim-verify says %r on %s (exit %d)" % (
            out[:80], os.path.basename(path), st))
    for name, cmd in peer_verify_cmds(rsa).items():
        if only is not None and name not in only:
            continue
        st, out = run(cmd, stdin=path, check=False)
        ok[name] = st == 0 and out == b"pass\n"
        if not ok[name]:
            problems.append("%s says %r on %s (exit %d)" % (
                name, out[:80], os.path.basename(path), st))
    return ok


def check_signers(sel, canon, path):
    """Each signer's output must verify with dkim-verify."""
    ok = {}
    cmds = dict(peer_sign_cmds(sel, canon))
    cmds["ours"] = our_sign_cmd(sel, canon)
    for name, cmd in cmds.items():
        st, out = run(cmd, stdin=path, check=False)
        good = st == 0
        if good:
            tmp = P("check.eml")
            write(tmp, out)
            st, v = run(our_verify_cmd(tmp), check=False)
            good = st == 0
        if not good:
            problems.append("%s sign %s %s: output does not verify" % (
                name, sel, canon))
        ok[name] = good
    return ok


# ---------------------------------------------------------------- cases

def case_small():
    """2 KB, one process per message: ours and the floor in interleaved
    rounds, then the peers (each a few times: they take 0.1-1 s)."""
    log("bench: 2 KB per process")
    n_fast, r_fast = (10, 3) if QUICK else (20, 8)
    n_slow, r_slow = (2, 2) if QUICK else (3, 3)
    m = P("m2k.eml")
    for sel, tag in (("rsa", "rsa"), ("ed25519", "ed")):
        ok = check_signers(sel, "relaxed/relaxed", m)
        fast = {}
        for name, b in (("floor", FLOOR), (FLOOR_LIBS, FLOOR_LIBS_BIN)):
            if os.path.exists(b):
                fast[name] = ([b, "sign", P("keys", sel + ".pem"), m], None)
        if ok["ours"]:
            fast["ours"] = (our_sign_cmd(sel, path=m), None)
        slow = {k: (c, m) for k, c in peer_sign_cmds(sel).items()
                if ok.get(k)}
        res = measure(fast, r_fast, n_fast, warm=3)
        res.update(measure(slow, r_slow, n_slow))
        R["sign-2k-" + tag] = res
    for sel, tag, f in (("rsa", "rsa", "m2k-rsa-relaxed.eml"),
                        ("ed25519", "ed", "m2k-ed.eml")):
        path = P(f)
        ok = check_verifiers(path, sel == "rsa")
        fast = {}
        for name, b in (("floor", FLOOR), (FLOOR_LIBS, FLOOR_LIBS_BIN)):
            if os.path.exists(b):
                fast[name] = ([b, "verify", P("keys", sel + ".p.bin"),
                               P("floor-%s.sig" % sel), m], None)
        if ok["ours"]:
            fast["ours"] = (our_verify_cmd(path), None)
        slow = {k: (c, path) for k, c in
                peer_verify_cmds(sel == "rsa").items() if ok.get(k)}
        res = measure(fast, r_fast, n_fast, warm=3)
        res.update(measure(slow, r_slow, n_slow))
        R["verify-2k-" + tag] = res


def case_big():
    """10 MB: sign and verify, simple and relaxed; MB/s with the 2 KB
    time of the same command subtracted (start-up, key, signature).
    Two bodies: text (every peer) and a base64 attachment (ours and
    libopendkim, the fastest peer on the text)."""
    log("bench: 10 MB")
    n_ours, r_ours = (2, 2) if QUICK else (8, 3)
    n_peer = 1 if QUICK else 2
    for body, big, peers in (("", "m10m", None),
                             ("-att", "m10m-att", ("libopendkim",))):
        for c in ("simple", "relaxed"):
            canon = "%s/%s" % (c, c)
            ok = check_signers("rsa", canon, P("m2k.eml"))
            sizes = (("2k", "m2k"), ("10m", big)) + \
                ((("100m", "m100m"),) if not body else ())
            specs = {}
            if ok["ours"]:
                for sz, f in sizes:
                    specs["ours/" + sz] = (our_sign_cmd(
                        "rsa", canon, P(f + ".eml")), None)
            res = measure(specs, r_ours, n_ours)
            specs = {}
            for k, cmd in peer_sign_cmds("rsa", canon).items():
                if ok.get(k) and (peers is None or k in peers):
                    specs[k + "/2k"] = (cmd, P("m2k.eml"))
                    specs[k + "/10m"] = (cmd, P(big + ".eml"))
            res.update(measure(specs, n_peer, 1, warm=0))
            R["sign-10m%s-%s" % (body, c)] = throughput(
                res, P("m2k.eml"), P(big + ".eml"), P("m100m.eml"))
            fs = {sz: P("%s-rsa-%s.eml" % (f, c)) for sz, f in sizes}
            ok = check_verifiers(fs["10m"], True, peers)
            specs = {}
            if ok["ours"]:
                for sz, f in fs.items():
                    specs["ours/" + sz] = (our_verify_cmd(f), None)
                # reading and hashing the same file, nothing else: by
                # openssl(1), and by the floor as we read (128 KiB)
                for sz in ("2k", "10m"):
                    specs["dgst/" + sz] = (["openssl", "dgst", "-sha256",
                                            fs[sz]], None)
                    specs["floorhash/" + sz] = ([FLOOR, "hash", fs[sz]],
                                                None)
            res = measure(specs, r_ours, n_ours)
            specs = {}
            for k, cmd in peer_verify_cmds(True).items():
                if ok.get(k):
                    specs[k + "/2k"] = (cmd, fs["2k"])
                    specs[k + "/10m"] = (cmd, fs["10m"])
            res.update(measure(specs, n_peer, 1, warm=0))
            R["verify-10m%s-%s" % (body, c)] = throughput(
                res, fs["2k"], fs["10m"], P("m100m-rsa-%s.eml" % c))


def throughput(res, f2k, f10m, f100m):
    """{impl: {cpu, wall: MB/s from 2 KB to 10 MB; s10: Series of the
    10 MB runs; mcpu, mwall: MB/s from 10 to 100 MB (ours)}}."""
    sz = {k: os.path.getsize(f) for k, f in (("2k", f2k), ("10m", f10m),
                                             ("100m", f100m))}
    out = {}
    for i in {k.split("/")[0] for k in res}:
        a, b, c = (res.get(i + "/" + x) for x in ("2k", "10m", "100m"))
        if a is None or b is None:
            continue
        r = {"s10": b}
        for clock in ("cpu", "wall"):
            d = b.get(clock) - a.get(clock)
            r[clock] = (sz["10m"] - sz["2k"]) / d / MB if d > 0 else None
            if c is not None:
                d = c.get(clock) - b.get(clock)
                r["m" + clock] = (sz["100m"] - sz["10m"]) / d / MB \
                    if d > 0 else None
        out[i] = r
    return out


def case_batch():
    """NBATCH messages of 4 KB verified in one process."""
    log("bench: batch of %d" % NBATCH)
    # a 1000-message run takes 35-65 ms: ten rounds cost a second, and
    # the minimum of ten is less at the mercy of the other tenant
    n_ours = 3 if QUICK else 10
    n_peer = 1 if QUICK else 2
    z = P("keys", "dns.txt")
    for tag, rsa in (("rsa", True), ("ed", False)):
        d = P("batch", tag)
        files = sorted(os.path.join(d, "new", f)
                       for f in os.listdir(os.path.join(d, "new")))
        ok = check_verifiers(files[0], rsa)
        # ours: every message must pass (exit 0, NBATCH results)
        st, out = run(our_verify_cmd("-P", "1", d), check=False)
        npass = out.count(b"dkim=pass")
        if st != 0 or npass != NBATCH:
            problems.append("ours batch %s: exit %d, %d of %d pass" % (
                tag, st, npass, NBATCH))
            ok["ours"] = False
        res = {}
        sel = "rsa" if rsa else "ed25519"
        if ok["ours"]:
            res = measure({
                "ours/1": (our_verify_cmd("-P", "1", d), None),
                "ours/all": (our_verify_cmd("-P", str(NCPU), d), None),
                # NCPU processes of -P 1 at once, each on the whole batch:
                # what the CPUs give work that shares nothing
                "ours/1xall": (our_verify_cmd("-P", "1", d), None, NCPU),
                # open, read, SHA-256 and verify each file, nothing else
                "floor/1": (floor_batch_cmd(sel, d, 1), None),
                # the same with NCPU threads in one process, as -P
                "floor/all": (floor_batch_cmd(sel, d, NCPU), None),
            }, n_ours, 1)
        drivers = {"libopendkim": [ODKIM_BATCH, z],
                   "dkimpy": [os.path.join(HERE, "dkimpy-batch"), z],
                   "mailauth": [os.path.join(HERE, "mailauth-batch"), z]}
        if rsa:
            drivers["Mail::DKIM"] = [os.path.join(HERE, "maildkim-batch"),
                                     z]
        for k, cmd in drivers.items():
            if not ok.get(k):
                continue
            try:
                one = [cmd + files]
                # every driver must pass every message (exit 0)
                parallel(one)
                parts = [cmd + files[i::NCPU] for i in range(NCPU)]
                res[k + "/1"] = Series([parallel(one)
                                        for _ in range(n_peer)])
                res[k + "/all"] = Series([parallel(parts)
                                          for _ in range(n_peer)])
            except RuntimeError as e:
                problems.append("%s batch %s: %s" % (k, tag, e))
        R["batch-" + tag] = res
        if tag == "rsa" and ok["ours"]:
            R["batch5-rsa"] = batch_times5(d, n_ours)


def floor_batch_cmd(sel, d, threads):
    return [FLOOR, "batch", P("keys", sel + ".p.bin"),
            P("floor-%s.sig" % sel), P("m2k.eml"), d, str(threads)]


def batch_times5(d, rounds):
    """Ours only, -P 1 and -P NCPU, on 5 times the messages (hard links
    to the same files): the start-up (exec, libcrypto's first use, some
    4 ms) spread over five times the work, to show how far the threads
    themselves scale."""
    d5 = P("batch", "rsa5")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(d5, sub), exist_ok=True)
    for k in range(5):
        for f in os.listdir(os.path.join(d, "new")):
            dst = os.path.join(d5, "new", "%d-%s" % (k, f))
            if not os.path.exists(dst):
                os.link(os.path.join(d, "new", f), dst)
    return measure({
        "ours/1": (our_verify_cmd("-P", "1", d5), None),
        "ours/all": (our_verify_cmd("-P", str(NCPU), d5), None),
    }, rounds, 1)


def time_v(cmd, stdin_path=None, pipe=False):
    """Peak RSS (KB) and wall time of cmd under /usr/bin/time -v."""
    tf = P("time.txt")
    full = ["/usr/bin/time", "-v", "-o", tf] + cmd
    t0 = time.monotonic()
    if pipe:
        cat = subprocess.Popen(["cat", stdin_path], stdout=subprocess.PIPE)
        p = subprocess.run(full, stdin=cat.stdout, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        cat.stdout.close()
        cat.wait()
    else:
        with open(stdin_path or os.devnull, "rb") as f:
            p = subprocess.run(full, stdin=f, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    t = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.decode(
            errors="replace").strip()[-300:]))
    with open(tf) as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                      f.read())
    return int(m.group(1)), t


def case_memory():
    log("bench: peak memory, 100 MB")
    plain, signed = P("m100m.eml"), P("m100m-rsa-relaxed.eml")
    modes = [
        ("dkim-sign, file", our_sign_cmd("rsa", path=plain), None, False),
        ("dkim-sign, pipe", our_sign_cmd("rsa"), plain, True),
        ("dkim-verify, file", our_verify_cmd(signed), None, False),
        ("dkim-verify, pipe", our_verify_cmd(), signed, True),
        ("dkim-verify -A, file", our_verify_cmd("-A", "mx.example.org",
                                                signed), None, False),
        ("dkim-verify -A, pipe", our_verify_cmd("-A", "mx.example.org"),
         signed, True),
    ]
    out = {}
    for name, cmd, src, pipe in modes:
        try:
            out[name] = time_v(cmd, src, pipe)
        except RuntimeError as e:
            problems.append("%s (100 MB): %s" % (name, e))
    R["memory"] = out


# ---------------------------------------------------------------- report

def fmt_t(s):
    if s is None:
        return "n/a"
    return "%.2f ms" % (s * 1000) if s < 1 else "%.2f s" % s


def fmt_r(x, unit=""):
    if x is None:
        return "n/a"
    return ("%.0f" if x >= 100 else "%.1f") % x + (" " + unit if unit
                                                     else "")


def yn(ok):
    return "yes" if ok else "**NO**"


def peers_of(d):
    return {k: v for k, v in d.items() if k not in ("ours", "floor",
                                                    FLOOR_LIBS, "dgst",
                                                    "floorhash")}


BIG_CASES = (
    ("sign-10m-simple", "10 MB text sign, simple", 0.85),
    ("sign-10m-relaxed", "10 MB text sign, relaxed", 0.60),
    ("verify-10m-simple", "10 MB text verify, simple", 0.85),
    ("verify-10m-relaxed", "10 MB text verify, relaxed", 0.60),
    ("sign-10m-att-simple", "10 MB attachment sign, simple", 0.85),
    ("sign-10m-att-relaxed", "10 MB attachment sign, relaxed", 0.60),
    ("verify-10m-att-simple", "10 MB attachment verify, simple", 0.85),
    ("verify-10m-att-relaxed", "10 MB attachment verify, relaxed", 0.60))


def summary_rows(speed):
    """The summary: one row per case.  Single-process figures are CPU
    time; the verdict is given for CPU time and for wall clock."""
    rows = []

    def lim(name, clock):
        """openssl speed per CPU second: what a core can do; the wall
        verdicts are judged against it too."""
        v = speed.get(name)
        return v[0] if v else None

    # 2 KB per process: times, lower is better
    for key, label in (("sign-2k-rsa", "2 KB sign, rsa-sha256"),
                       ("sign-2k-ed", "2 KB sign, ed25519-sha256"),
                       ("verify-2k-rsa", "2 KB verify, rsa-sha256"),
                       ("verify-2k-ed", "2 KB verify, ed25519-sha256")):
        res = R.get(key)
        if res is None:
            continue
        met, shown = {}, None
        for clock in ("cpu", "wall"):
            t = {k: s.get(clock) for k, s in res.items()}
            ours, fl = t.get("ours"), t.get("floor")
            pe = peers_of(t)
            bp = min(pe, key=pe.get) if pe else None
            x = ours / fl if ours and fl else None
            met[clock] = x is not None and x <= 1.10 and \
                all(ours < v for v in pe.values())
            if clock == "cpu":
                shown = (ours, bp, pe.get(bp), fl, x)
        ours, bp, bt, fl, x = shown
        wall = res["ours"].wall if "ours" in res else None
        rows.append((label,
                     "%s (wall %s)" % (fmt_t(ours), fmt_t(wall)),
                     "%s %s" % (bp, fmt_t(bt)) if bp else "n/a",
                     "%.1fx" % (bt / ours) if bp and ours else "",
                     "floor %s" % fmt_t(fl),
                     "%.2fx floor" % x if x else "",
                     "<= 1.10x floor", yn(met["cpu"]), yn(met["wall"])))
    # 10 MB: MB/s, higher is better
    for key, label, need in BIG_CASES:
        res = R.get(key)
        if res is None:
            continue
        met, shown = {}, None
        for clock in ("cpu", "wall"):
            v = {k: r[clock] for k, r in res.items() if r[clock]}
            ours, sha = v.get("ours"), lim("sha256", clock)
            pe = peers_of(v)
            bp = max(pe, key=pe.get) if pe else None
            met[clock] = ours is not None and sha is not None and \
                ours >= need * sha and all(ours > x for x in pe.values())
            if clock == "cpu":
                shown = (ours, bp, pe.get(bp), sha)
        ours, bp, bv, sha = shown
        wall = res.get("ours", {}).get("wall")
        rows.append((label,
                     "%s (wall %s)" % (fmt_r(ours, "MB/s"), fmt_r(wall)),
                     "%s %s" % (bp, fmt_r(bv, "MB/s")) if bp else "n/a",
                     "%.1fx" % (ours / bv) if bp and ours else "",
                     "sha256 %s" % fmt_r(sha, "MB/s"),
                     "%.0f%%" % (100 * ours / sha) if ours and sha else "",
                     ">= %d%% of sha256" % (100 * need),
                     yn(met["cpu"]), yn(met["wall"])))
        dg = res.get("dgst", {}).get("cpu")
        if dg and ours:
            rows.append(("%s: openssl dgst -sha256 of the same file "
                         "(information: read and hash, nothing else)"
                         % label, "ours %.0f%% of dgst" % (100 * ours / dg),
                         "", "", "dgst %s" % fmt_r(dg, "MB/s"),
                         "%.0f%%" % (100 * dg / sha) if sha else "",
                         "-", "-", "-"))
        fh = res.get("floorhash", {}).get("cpu")
        if fh and ours:
            rows.append(("%s: the floor, read(2) in 128 KiB blocks and "
                         "SHA-256 (information: the least any reader does)"
                         % label, "ours %.0f%% of the floor"
                         % (100 * ours / fh), "", "",
                         "floor %s" % fmt_r(fh, "MB/s"),
                         "%.0f%%" % (100 * fh / sha) if sha else "",
                         "-", "-", "-"))
    # batch: messages per second, higher is better
    for tag, alg, lname in (("rsa", "rsa-sha256", "rsa_verify"),
                            ("ed", "ed25519-sha256", "ed_verify")):
        res = R.get("batch-" + tag)
        if res is None:
            continue
        rate = {k: (NBATCH / s.cpu if s.cpu else None, NBATCH / s.wall)
                for k, s in res.items()}
        # one core
        met, shown = {}, None
        for ci, clock in enumerate(("cpu", "wall")):
            v = {k[:-2]: r[ci] for k, r in rate.items()
                 if k.endswith("/1") and r[ci]}
            ours, lv = v.get("ours"), lim(lname, clock)
            pe = peers_of(v)
            bp = max(pe, key=pe.get) if pe else None
            if tag == "rsa":
                ok = ours is not None and ours >= 20000
            else:
                ok = ours is not None and lv is not None and ours >= 0.8 * lv
            met[clock] = ok and all(ours > x for x in pe.values())
            if clock == "cpu":
                shown = (ours, bp, pe.get(bp), lv)
        ours, bp, bv, lv = shown
        wall = rate.get("ours/1", (None, None))[1]
        rows.append(("batch %d x 4 KB %s, 1 core" % (NBATCH, alg),
                     "%s (wall %s)" % (fmt_r(ours, "msg/s"), fmt_r(wall)),
                     "%s %s" % (bp, fmt_r(bv, "msg/s")) if bp else "n/a",
                     "%.1fx" % (ours / bv) if bp and ours else "",
                     "openssl verify %s/s" % fmt_r(lv),
                     "%.0f%%" % (100 * ours / lv) if ours and lv else "",
                     ">= 20000 msg/s" if tag == "rsa" else
                     ">= 80% of openssl verify", yn(met["cpu"]),
                     yn(met["wall"])))
        # the batch floor: what is left for DKIM itself
        fl = rate.get("floor/1", (None, None))[0]
        if fl and ours:
            rows.append(("batch %d x 4 KB %s, 1 core: the floor "
                         "(information: open, read, SHA-256 and one "
                         "verification per file, nothing else)"
                         % (NBATCH, alg),
                         "ours %.0f%% of the floor" % (100 * ours / fl),
                         "", "", "floor %s/s" % fmt_r(fl),
                         "%.0f%%" % (100 * fl / lv) if lv else "",
                         "-", "-", "-"))
        # all cores: wall clock only
        v = {k[:-4]: r[1] for k, r in rate.items() if k.endswith("/all")}
        ours, one = v.get("ours"), rate.get("ours/1", (None, None))[1]
        pe = peers_of(v)
        bp = max(pe, key=pe.get) if pe else None
        lv = lim(lname, "cpu") * NCPU if lim(lname, "cpu") else None
        scale = ours / one if ours and one else None
        eff = busy = None
        if "ours/1" in res and "ours/all" in res:
            a = res["ours/all"]
            eff = a.cpu / res["ours/1"].cpu
            # CPUs the -P run had: its CPU time over its wall time
            busy = statistics.median(x[1] / x[0] for x in a.samples)
            if busy < 0.8 * NCPU:
                notes.append("batch %s -P %d: the process had %.1f CPUs on "
                             "average (CPU time / wall clock), not %d: the "
                             "others were busy, so the -P scaling was not "
                             "measured." % (alg, NCPU, busy, NCPU))
        faster = ours is not None and all(ours > x for x in pe.values())
        if tag == "rsa":
            target = ">= 1.8x 1 core"
            ok = scale is not None and scale >= 1.8 and faster
        else:
            target = "faster than the peers"
            ok = faster
        rows.append(("batch %d x 4 KB %s, -P %d" % (NBATCH, alg, NCPU),
                     "%s wall, %.2fx 1 core%s" % (
                         fmt_r(ours, "msg/s"), scale or 0,
                         " (%.1f CPUs busy; CPU time %.2fx)" % (busy, eff)
                         if eff else ""),
                     "%s %s" % (bp, fmt_r(pe.get(bp), "msg/s")) if bp
                     else "n/a",
                     "%.1fx" % (ours / pe[bp]) if bp and ours else "",
                     "%d x openssl %s/s" % (NCPU, fmt_r(lv / NCPU))
                     if lv else "n/a",
                     "%.0f%%" % (100 * ours / lv) if ours and lv else "",
                     target, "-", yn(ok)))
        # the machine's own scaling: NCPU processes that share nothing
        if scale and "ours/1" in res and "ours/1xall" in res:
            free = NCPU * res["ours/1"].wall / res["ours/1xall"].wall
            rows.append(("batch %d x 4 KB %s: %d processes of -P 1 at "
                         "once, each on the whole batch (information: "
                         "what %d CPUs give work that shares nothing)"
                         % (NBATCH, alg, NCPU, NCPU),
                         "%.2fx 1 core; -P %d has %.0f%% of that"
                         % (free, NCPU, 100 * scale / free),
                         "", "", "", "", "-", "-", "-"))
        # the floor's own scaling: NCPU threads in one process
        if scale and "floor/1" in res and "floor/all" in res:
            fscale = res["floor/1"].wall / res["floor/all"].wall
            rows.append(("batch %d x 4 KB %s, -P %d: the floor with %d "
                         "threads (information: one process, start-up "
                         "included, nothing but open, read, SHA-256 and "
                         "verify)" % (NBATCH, alg, NCPU, NCPU),
                         "floor %.2fx its 1 thread; ours -P %d %.2fx"
                         % (fscale, NCPU, scale),
                         "", "", "floor %s/s wall" % fmt_r(
                             NBATCH / res["floor/all"].wall),
                         "ours %.0f%% of it" % (100 * res[
                             "floor/all"].wall / res["ours/all"].wall),
                         "-", "-", "-"))
    res = R.get("batch5-rsa")
    if res and "ours/1" in res and "ours/all" in res:
        one, a = res["ours/1"], res["ours/all"]
        scale = one.wall / a.wall
        busy = statistics.median(x[1] / x[0] for x in a.samples)
        rows.append(("batch %d x 4 KB rsa-sha256, -P %d (information: "
                     "start-up spread over 5x the work)" % (5 * NBATCH, NCPU),
                     "%s wall, %.2fx 1 core (%.1f CPUs busy; CPU time "
                     "%.2fx)" % (fmt_r(5 * NBATCH / a.wall, "msg/s"), scale,
                                 busy, a.cpu / one.cpu),
                     "", "", "", "", "-", "-", "-"))
    for name, (kb, t) in R.get("memory", {}).items():
        rows.append(("peak RSS, 100 MB, %s" % name, "%.1f MB" % (kb / 1024),
                     "", "", "", "", "<= 16 MB", yn(kb <= 16 * 1024),
                     yn(kb <= 16 * 1024)))
    return rows


def detail_rows():
    rows = []
    for key, label in (("sign-2k-rsa", "2 KB sign, rsa-sha256"),
                       ("sign-2k-ed", "2 KB sign, ed25519-sha256"),
                       ("verify-2k-rsa", "2 KB verify, rsa-sha256"),
                       ("verify-2k-ed", "2 KB verify, ed25519-sha256")):
        for k, s in sorted(R.get(key, {}).items()):
            rows.append((label, k, "%s (median %s)" % (
                fmt_t(s.cpu), fmt_t(s.cpu_med)), "%s (median %s)" % (
                fmt_t(s.wall), fmt_t(s.wall_med)), "%d runs" % len(
                    s.samples), "%.1f MB" % (s.rss / 1024)))
    for key, label, _ in BIG_CASES:
        for k, r in sorted(R.get(key, {}).items()):
            s = r["s10"]
            m = ""
            if r.get("mcpu") or r.get("mwall"):
                m = "; 10 to 100 MB: %s MB/s CPU, %s wall" % (
                    fmt_r(r.get("mcpu")), fmt_r(r.get("mwall")))
            rows.append((label, k, "%s MB/s (10 MB: %s)" % (
                fmt_r(r["cpu"]), fmt_t(s.cpu)), "%s MB/s (10 MB: %s)%s" % (
                fmt_r(r["wall"]), fmt_t(s.wall), m), "%d runs" % len(
                    s.samples), "%.1f MB" % (s.rss / 1024)))
    for tag, alg in (("rsa", "rsa-sha256"), ("ed", "ed25519-sha256")):
        for k, s in sorted(R.get("batch-" + tag, {}).items()):
            impl, cores = k.split("/")
            # "1xall": NCPU processes of -P 1, each on the whole batch
            nmsg = NBATCH * NCPU if cores == "1xall" else NBATCH
            rows.append(("batch %s, %s" % (alg, {
                "1": "1 process", "all": "all cores"}.get(
                    cores, "%d processes of -P 1 at once" % NCPU)),
                         impl if impl != "ours" else "ours (-P %s)" % (
                             NCPU if cores == "all" else "1"),
                         "%s msg/s (%s for %d)" % (
                             fmt_r(nmsg / s.cpu) if s.cpu else "n/a",
                             fmt_t(s.cpu), nmsg),
                         "%s msg/s (%s)" % (fmt_r(nmsg / s.wall),
                                            fmt_t(s.wall)),
                         "%d runs" % len(s.samples),
                         "%.1f MB" % (s.rss / 1024) if s.rss else "-"))
    for name, (kb, t) in R.get("memory", {}).items():
        rows.append(("100 MB", name, "", fmt_t(t), "1 run",
                     "%.1f MB" % (kb / 1024)))
    return rows


SUMMARY_HEAD = ("case", "ours", "best peer", "vs best peer", "limit",
                "vs limit", "target", "met (CPU)", "met (wall)")
DETAIL_HEAD = ("case", "implementation", "CPU time (min)",
               "wall clock (min)", "runs", "peak RSS")


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        out.append("| " + " | ".join(str(x).replace("|", "\\|")
                                     for x in r) + " |")
    return out


def report(mach, ver, speed, sp, load, elapsed):
    rows, detail = summary_rows(speed), detail_rows()
    L = ["# dkim-tools benchmark results", "",
         "Written by `make bench` (tests/bench/run.sh and bench.py) on %s;"
         " the run took %.0f s." % (mach["date"], elapsed), "",
         "## Machine", "",
         "- CPU: %s; %d CPUs online; %s" % (mach["cpu"], mach["cores"],
                                            mach["flags"]),
         "- Linux %s; %s" % (mach["kernel"], mach["openssl"]),
         "- load average (1, 5, 15 min): %s" % "; ".join(
             "%s %s" % x for x in load),
         "- dkim-tools %s; dkimpy %s; Mail::DKIM %s; libopendkim %s "
         "(Debian packages); mailauth %s (npm, node %s)" % (
             ver["dkim-tools"], ver["dkimpy"], ver["Mail::DKIM"],
             ver["libopendkim"], ver["mailauth"], ver["node"]),
         "", "## Limits: openssl speed, same run", ""]
    L += md_table(("test", "per CPU second", "per wall second",
                   "start / end (per CPU second)"), [
        (name, fmt_r(v[0], unit), fmt_r(v[1], unit), " / ".join(
            fmt_r(x.get(k, (None,))[0]) for x in sp))
        for k, name, unit in (
            ("sha256", "sha256, -evp, 16 KB blocks", "MB/s"),
            ("rsa_sign", "rsa2048 sign", "/s"),
            ("rsa_verify", "rsa2048 verify", "/s"),
            ("ed_sign", "ed25519 sign", "/s"),
            ("ed_verify", "ed25519 verify", "/s"))
        for v in [speed.get(k, (None, None))]])
    L += ["", "## Summary", ""]
    L += md_table(SUMMARY_HEAD, rows)
    L += ["", SUMMARY_NOTE, "", "## Every implementation", ""]
    L += md_table(DETAIL_HEAD, detail)
    L += ["", METHOD]
    if problems:
        L += ["", "## Could not be measured", ""]
        L += ["- " + p for p in problems]
    if notes:
        L += ["", "## Notes", ""]
        L += ["- " + n for n in notes]
    return rows, "\n".join(L) + "\n"


SUMMARY_NOTE = """\"ours\", \"best peer\" and \"limit\" are CPU-time figures
(user + system time of the process, minimum over the runs; openssl speed
counts CPU time too), which other jobs on the machine disturb much less
than the wall clock; the wall-clock figure for us is in brackets and every
wall-clock figure is in the next table.  The -P rows are wall clock only
(\"CPUs busy\": CPU time over wall clock, how many CPUs the run
really had; \"CPU time\": CPU time with -P %d over CPU time with -P 1,
1.00 = no threading overhead).  \"vs best peer\": how many times faster than the
fastest of dkimpy, Mail::DKIM, libopendkim and mailauth.  \"met\": the target is
met and no peer is faster, judged on CPU time and on the wall clock.""" % NCPU


METHOD = """## Method

- Messages are made by bench.py from a fixed seed (%d): CRLF text, 11
  header fields (Return-Path, Received, From, To, Subject, Date,
  Message-ID, MIME), a body of pseudo-words with some double spaces and
  trailing white space, so that relaxed canonicalization has work to do.
  2 KB, 10 MB, 100 MB (the 10 MB body ten times) and %d messages of 4 KB,
  in a temporary directory removed at the end.  A second 10 MB message
  is what big mail mostly is: a short text part and a base64 attachment
  (random bytes, 76-column lines, nothing for relaxed to change); on it
  only libopendkim, the fastest peer on the text, is run.  Our dkim-sign signs the
  inputs of the verify cases (relaxed/relaxed unless said, fixed t=, its
  default header list).  Before a verifier is timed it must say pass on
  its input; before a signer is timed its output must verify with
  dkim-verify.
- Keys: testdata/sign (RSA 2048, Ed25519); offline everywhere: dkim-verify
  -K with the records as a zone file, the peers' drivers with --zone
  testdata/sign/dns.txt; the batch drivers answer key queries from that
  table, read once.  No DNS traffic.
- Per-process times: tests/bench/brun.c starts the command with
  posix_spawn (no shell; stdin from the file; stdout to /dev/null) and
  takes the wall clock around spawn and wait4 and the CPU time from
  wait4's rusage.  Our binaries and the floor run in interleaved rounds
  (8 x 20 runs each) so that load changes hit both; the figure is the
  minimum, the medians are in the second table.  The peers run through
  tests/peers/ (dkimpy-sign, dkimpy-verify, maildkim-sign,
  maildkim-verify, opendkim-peer sign|verify, mailauth-sign,
  mailauth-verify), which read stdin whole and
  make bare LF into CRLF (the inputs are CRLF already, but the scan is
  timed with the peer); 9 runs each.  dkimpy-sign
  gets the PKCS#1 RSA key and the base64 Ed25519 seed, its native forms,
  so it starts no openssl(1) process.
- Floor: tests/bench/floor.c lets libcrypto initialise itself (default
  configuration), loads the private key from the same PEM file
  (PEM_read_PrivateKey) or the public key from the bytes a key record's
  p= holds (d2i_PUBKEY for RSA, EVP_PKEY_new_raw_public_key for Ed25519),
  reads the 2 KB message, hashes it with SHA-256 and makes one signature
  or one verification.  Target: our 2 KB sign and verify within 1.10x.
  "floor+libbsd+libresolv" in the second table is the same program linked
  (--no-as-needed) with libbsd and libresolv as well, as our binaries
  are: the difference to the floor is what loading them costs.
- 10 MB throughput: MB/s = (size of the 10 MB input - size of the 2 KB
  input) / (t(10 MB) - t(2 KB)), both times of the same command and
  canonicalization (minimum over the runs): start-up, key loading and the
  public-key operation cancel out for every implementation alike.  For
  ours the rate from 10 to 100 MB is given too.  Limit: openssl speed
  sha256 (-evp, 16 KB blocks); targets 85%% (simple) and 60%% (relaxed).
- "openssl dgst -sha256" (information rows, verify cases): the same
  two files (2 KB and 10 MB, signed) hashed by openssl(1), timed and
  turned into MB/s as ours are.  It reads the file and hashes it,
  nothing else: what a file costs on this machine, page cache included,
  where openssl speed hashes one 16 KB buffer that stays in the cache.
  openssl(1) reads in small blocks; "the floor" (tests/bench/floor.c
  hash) reads as we do, 128 KiB at a time into one buffer, and hashes
  each block with SHA-256, nothing else: the 85%% simple target has no
  other ceiling on this machine.
- Batch: the same %d messages of 4 KB, signed rsa-sha256 or
  ed25519-sha256, in a Maildir: ours `dkim-verify -K zone -P 1 DIR` and
  `-P %d`; libopendkim through tests/bench/odkim-batch.c (one process,
  libopendkim's DNS callbacks answered from a reply built once per key
  name), dkimpy through tests/bench/dkimpy-batch, Mail::DKIM through
  tests/bench/maildkim-batch, mailauth through tests/bench/mailauth-batch,
  each verifying every file in one process
  and checking that all pass.  A peer's \"all cores\" is %d such
  processes on interleaved shares of the list, timed until the last
  ends.  Messages per second = %d / time.  Limit: openssl speed's verify
  rate (times %d for all cores).  The "information" row runs ours alone
  on five times the messages (hard links), so that the start-up (exec,
  libcrypto's first use: some 4 ms, one thread) weighs a fifth as much:
  how far the threads themselves scale.  It has no target.  The other
  information row runs %d processes of ours with -P 1 at once, each on
  the whole batch (brun -c): what the CPUs give work that shares
  nothing, neither memory nor start-up, and \"-P %d has x%% of that\" is
  how near the threads come.  Exec and libcrypto's first use happen in
  each of those processes at once, but only once, on one CPU, with -P:
  that part of the gap no thread can close.
  The batch floor (tests/bench/floor.c batch, an information row) is
  the least any one-process verifier must do per message: open, fstat,
  read and close the file, SHA-256 over its bytes, one verification
  (RSA: one EVP_PKEY_CTX set up once; Ed25519: a one-shot context per
  message, as the algorithm needs), no parsing.  What is left between
  it and ours is the DKIM work itself: header parsing, canonicalization,
  the signature's tags and base64, the key table, the result line.
  "The floor with %d threads" runs the same in one process, the
  directory listed first and then taken a file at a time by %d threads
  (the first among them), each with its own buffer and RSA context, as
  dkim-verify -P does.  Its scaling over its own one thread, start-up
  included, is what a one-process verifier can get on this machine at
  all; the -P target has no other ceiling.
- Memory: /usr/bin/time -v, maximum resident set size, on the 100 MB
  message, from a file operand and from a pipe (cat | ...), output to
  /dev/null.  The other runs' peak RSS (wait4) is in the second table.
- Mail::DKIM 1.20230212 has no Ed25519, so it is not in those rows.
- A benchmark, not a test: the exit status says only whether every
  measurement could be made.""" % (SEED, NBATCH, NBATCH, NCPU, NCPU,
                                    NBATCH, NCPU, NCPU, NCPU, NCPU, NCPU)


def print_table(head, rows):
    w = [max(len(str(r[i]).replace("**", "")) for r in rows + [head])
         for i in range(len(head))]
    fmt = "  ".join("%%-%ds" % x for x in w)
    print(fmt % head)
    print(fmt % tuple("-" * x for x in w))
    for r in rows:
        print(fmt % tuple(str(x).replace("**", "") for x in r))


def main():
    t0 = time.monotonic()
    load = [("start", loadavg())]
    mach = machine()
    ver = versions()
    log("bench: %s, %d CPUs, load %s" % (mach["cpu"], NCPU, load[0][1]))
    log("bench: making messages (seed %d)" % SEED)
    setup_keys()
    gen_messages()
    sign_inputs()
    # the messages are some 350 MB of dirty pages: written back now, not
    # in the middle of the first cases' measurements
    t = time.monotonic()
    os.sync()
    log("bench: sync (%.1f s)" % (time.monotonic() - t))
    log("bench: openssl speed")
    sp = [openssl_speed()]
    cases = os.environ.get("BENCH_CASES", "small big batch memory").split()
    for name, f in (("small", case_small), ("big", case_big),
                    ("batch", case_batch), ("memory", case_memory)):
        if name in cases:
            f()
            load.append(("after " + name, loadavg()))
    log("bench: openssl speed again")
    sp.append(openssl_speed())
    speed = {}
    for k in ("sha256", "rsa_sign", "rsa_verify", "ed_sign", "ed_verify"):
        got = [x[k] for x in sp if k in x]
        if got:
            speed[k] = (max(g[0] for g in got), max(g[1] for g in got))
        else:
            problems.append("openssl speed: no %s figure" % k)
    load.append(("end", loadavg()))
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            if f.read().strip() == "1":
                notes.append("The kernel's autogroup scheduling is on: CPU "
                             "time is shared out between sessions, whatever "
                             "the nice values, so with other sessions busy "
                             "this one gets a share of the CPUs.  Hence "
                             "CPU time for the single-process figures.")
    except OSError:
        pass
    rows, md = report(mach, ver, speed, sp, load, time.monotonic() - t0)
    print()
    print("dkim-tools benchmark, %s; %s, %d CPUs; load %s" % (
        mach["date"], mach["cpu"], NCPU, ", ".join("%s %s" % x
                                                   for x in load)))
    print_table(SUMMARY_HEAD, rows)
    for p in problems:
        print("could not measure: " + p)
    with open(RESULTS, "w") as f:
        f.write(md)
    print("written to %s" % RESULTS)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
