#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs inside tests/pcsc-harness (see run.sh). Test PINs only: OpenSC takes them in argv, as its
tools require; porteur-tool through --pin-fd."""
import glob, json, os, select, socket, statistics, subprocess, sys, time

TOOL = os.environ["PORTEUR_TOOL"]
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
LOG = os.path.join(os.environ["PORTEUR_HARNESS_WORK"], "pcscd.log")
MODULE = (glob.glob("/usr/lib/*/opensc-pkcs11.so") + glob.glob("/usr/lib/opensc-pkcs11.so"))[0]
DATA = "/tmp/porteur-bench-token.txt"
open(DATA, "w").write("bench\n" * 100)
# OpenSC's tools sign a SHA-256 DigestInfo computed beforehand (porteur-tool hashes off-card too).
import hashlib
DIGEST_INFO = "/tmp/porteur-bench-token.digest-info"
open(DIGEST_INFO, "wb").write(bytes.fromhex("3031300d060960864801650304020105000420") +
                              hashlib.sha256(open(DATA, "rb").read()).digest())
SIG_OURS = "/tmp/porteur-bench-token.sig-porteur"
SIG_THEIRS = "/tmp/porteur-bench-token.sig-opensc"

def control(command):
    for _ in range(50):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(os.environ["PORTEUR_VTOKEN_CONTROL"])
            break
        except OSError:
            s.close()
            time.sleep(0.1)
    s.sendall(command.encode() + b"\n")
    answer = s.recv(4096)
    s.close()
    return answer.decode().strip()

def apdus():
    with open(LOG, errors="replace") as f:
        return sum(1 for line in f if "APDU:" in line)

def run(argv, secrets=None):
    fds = ()
    if secrets is not None:
        r, w = os.pipe()
        os.write(w, "".join(s + "\n" for s in secrets).encode())
        os.close(w)
        fds = (r,)
        argv = argv + ["--pin-fd", str(r)]
    before = apdus()
    start = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, pass_fds=fds)
    elapsed = time.perf_counter() - start
    time.sleep(0.05)   # let pcscd flush its log
    for fd in fds:
        os.close(fd)
    return p.returncode, elapsed, apdus() - before, (p.stdout + p.stderr)[-200:]

ops = [
    ("PIN status",
     ([TOOL, "pin", "status"], None),
     (["pkcs15-tool", "--list-pins"], None)),
    ("PIN verify",
     ([TOOL, "pin", "verify"], ["1234"]),
     (["pkcs15-tool", "--verify-pin", "--auth-id", "01", "--pin", "1234"], None)),
    ("PIN change",
     ([TOOL, "pin", "change"], ["1234", "1234"]),
     (["pkcs15-tool", "--change-pin", "--auth-id", "01", "--pin", "1234", "--new-pin", "1234"], None)),
    ("PIN unblock (PUK)",
     ([TOOL, "pin", "unblock"], ["12345678", "1234"]),
     (["pkcs15-tool", "--unblock-pin", "--auth-id", "01", "--puk", "12345678", "--new-pin", "1234"], None)),
    # The same mechanism on both sides: RSA-2048 PKCS#1 v1.5 over a SHA-256 DigestInfo, hashed
    # off-card, sent by INTERNAL AUTHENTICATE to the authentication key (key 1). porteur-tool
    # hashes the file itself; OpenSC's tools take the DigestInfo (CKM_RSA_PKCS does no hashing).
    ("signature, key 1 (RSA-PKCS, SHA-256 DigestInfo): pkcs11-tool",
     ([TOOL, "sign", "--key", "1", "--in", DATA, "--out", SIG_OURS], ["1234"]),
     (["pkcs11-tool", "--module", MODULE, "--sign", "--mechanism", "RSA-PKCS", "--id", "01",
       "--pin", "1234", "-i", DIGEST_INFO, "-o", SIG_THEIRS], None)),
    ("signature, key 1 (RSA-PKCS, SHA-256 DigestInfo): pkcs15-crypt",
     ([TOOL, "sign", "--key", "1", "--in", DATA, "--out", SIG_OURS], ["1234"]),
     (["pkcs15-crypt", "--sign", "--key", "01", "--pkcs1", "--pin", "1234",
       "-i", DIGEST_INFO, "-o", SIG_THEIRS], None)),
    # The qualified key (key 2) allows PSO CDS only (its DOCP); OpenSC 0.23's IAS-ECC driver
    # reaches its DST path and stops there ("Not supported": the partial SHA-256 it sends with PSO
    # HASH needs SHA internals that its OpenSSL 3 build lacks). The row shows OpenSC's own error.
    ("qualified signature, key 2 (SHA256-RSA-PKCS, PSO CDS)",
     ([TOOL, "sign", "--key", "2", "--in", DATA, "--out", SIG_OURS], ["1234"]),
     (["pkcs11-tool", "--module", MODULE, "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "02",
       "--pin", "1234", "-i", DATA, "-o", SIG_THEIRS], None)),
]

MODE = sys.argv[1] if len(sys.argv) > 1 else "ops"
# A card's own time per APDU (the emulator answers in tens of microseconds; a USB token takes
# milliseconds): the token's "delay MS" before every answer, the same for both tools.
APDU_MS = int(os.environ.get("BENCH_APDU_MS", "0"))
if MODE == "ops":
    control("delay %d" % APDU_MS)
def verifies(key, signature):
    cert = subprocess.run(["pkcs15-tool", "--read-certificate", "%02d" % key], capture_output=True, text=True).stdout
    cert = cert[cert.find("-----BEGIN"):]
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout"], input=cert, capture_output=True, text=True).stdout
    with open("/tmp/porteur-bench-token.pub", "w") as f:
        f.write(pub)
    v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", "/tmp/porteur-bench-token.pub", "-signature", signature, DATA],
                       capture_output=True, text=True)
    return v.returncode == 0 and "Verified OK" in v.stdout

rows = []
verified = {}
for name, ours, theirs in (ops if MODE == "ops" else []):
    results = {}
    for who, (argv, secrets) in (("porteur", ours), ("opensc", theirs)):
        times, counts, ok, last = [], [], True, ""
        run(argv, secrets)   # warm-up, untimed, for both tools (page cache; our description cache)
        for _ in range(RUNS):
            rc, elapsed, n, out = run(argv, secrets)
            if rc != 0:
                ok, last = False, out
                break
            times.append(elapsed)
            counts.append(n)
        results[who] = (ok, statistics.median(times) if times else None, statistics.median(counts) if counts else None, last)
        # A signature counts only if openssl verifies it with the key's certificate.
        for path in (SIG_OURS, SIG_THEIRS):
            if ok and path in argv:
                key = argv[argv.index("--key") + 1] if "--key" in argv else argv[argv.index("--id") + 1]
                verified[(name, who)] = verifies(int(key), path)
                os.unlink(path)
    rows.append((name, results))

# In process (mode inproc): bench-token-inproc runs the operation RUNS times inside one process,
# our core against OpenSC's PKCS#11 module, cold (from nothing each time) and warm (opened once).
INPROC = os.environ.get("BENCH_INPROC")
if MODE == "inproc":
    control("delay %d" % APDU_MS)
    print("\nIn process (no process start-up), card time per APDU: %d ms; %d runs, medians; load %s" %
          (APDU_MS, RUNS, open("/proc/loadavg").read().split()[0]))
    print("\n| operation | mode | APDUs porteur | APDUs OpenSC | time porteur | time OpenSC | time ratio |")
    print("|---|---|---|---|---|---|---|")
    for op in ("status", "verify", "change", "unblock", "sign"):
        for mode in ("cold", "warm"):
            cells = {}
            for who in ("porteur", "opensc"):
                sig = SIG_OURS if who == "porteur" else SIG_THEIRS
                def go(runs):
                    before = apdus()
                    p = subprocess.run([INPROC, who, op, str(runs), mode, sig], capture_output=True, text=True)
                    time.sleep(0.05)   # let pcscd flush its log
                    return p, apdus() - before
                go(1)   # warm-up, untimed
                opening = go(0)[1] if mode == "warm" else 0
                p, n = go(RUNS)
                if p.returncode != 0:
                    cells[who] = None, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "?"
                    continue
                times = [float(x) for x in p.stdout.split()]
                cells[who] = (statistics.median(times), (n - opening) / RUNS), None
                if op == "sign":
                    verified[("in process, %s, %s" % (op, mode), who)] = verifies(1, sig)
                    os.unlink(sig)
            (ours, _), (theirs, why) = cells["porteur"], cells["opensc"]
            if ours is None:
                print("| %s | %s | porteur failed: %s |" % (op, mode, cells["porteur"][1]))
            elif theirs is None:
                print("| %s | %s | %.0f | fails | %.2f ms | OpenSC: %s | — |" % (op, mode, ours[1], ours[0], why))
            else:
                print("| %s | %s | %.0f | %.0f | %.2f ms | %.2f ms | %.2f |" %
                      (op, mode, ours[1], theirs[1], ours[0], theirs[0], ours[0] / theirs[0]))
    for (name, who), ok in verified.items():
        print("%s, %s: openssl %s the signature with the certificate" % (name, who, "verifies" if ok else "DOES NOT verify"))
    sys.exit(0 if all(verified.values()) else 1)

if MODE == "ops":
  print("\nCard time per APDU: %d ms; %d runs, medians; load %s" % (APDU_MS, RUNS, open("/proc/loadavg").read().split()[0]))
  print("\n| operation | APDUs porteur | APDUs OpenSC | time porteur | time OpenSC | time ratio |")
  print("|---|---|---|---|---|---|")
for name, r in rows:
    po, pt, pn, _ = r["porteur"]
    oo, ot, on, olast = r["opensc"]
    if not oo:
        print("| %s | %d | failed | %.0f ms | OpenSC failed: %s | — |" % (name, pn, pt * 1000, olast.strip().splitlines()[-1] if olast.strip() else "?"))
        continue
    print("| %s | %d | %d | %.0f ms | %.0f ms | %.2f |" % (name, pn, on, pt * 1000, ot * 1000, pt / ot))

for (name, who), ok in verified.items():
    print("%s, %s: openssl %s the signature with the certificate" % (name, who, "verifies" if ok else "DOES NOT verify"))
if MODE == "ops":
    sys.exit(0 if all(verified.values()) else 1)

# Insertion latency: our monitor (porteur-tool wait) against pcsc_scan, same insertion.
lat_ours, lat_scan = [], []
for _ in range(int(os.environ.get("BENCH_LATENCY_RUNS", max(3, RUNS // 2)))):
    control("remove")
    time.sleep(1.0)
    ours = subprocess.Popen([TOOL, "wait", "--json"], stdout=subprocess.PIPE, text=True, bufsize=1)
    scan = subprocess.Popen(["stdbuf", "-oL", "pcsc_scan", "-n"], stdout=subprocess.PIPE, text=True, bufsize=1)
    time.sleep(1.5)   # both have seen the empty reader
    t0 = time.perf_counter()
    control("insert")
    def first(proc, marker):
        deadline = time.perf_counter() + 15
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if not ready:
                continue
            line = proc.stdout.readline()
            if not line:
                return None
            if marker(line):
                return time.perf_counter() - t0
        return None
    lat_ours.append(first(ours, lambda l: '"token-inserted"' in l))
    lat_scan.append(first(scan, lambda l: "Card inserted" in l))
    ours.terminate(); scan.terminate()
    ours.wait(); scan.wait()
lat_ours = [x for x in lat_ours if x is not None]
lat_scan = [x for x in lat_scan if x is not None]
print("\nInsertion → event: porteur-tool wait %s, pcsc_scan %s (medians of %d and %d)" %
      ("%.0f ms" % (statistics.median(lat_ours) * 1000) if lat_ours else "not seen",
       "%.0f ms" % (statistics.median(lat_scan) * 1000) if lat_scan else "not seen", len(lat_ours), len(lat_scan)))
