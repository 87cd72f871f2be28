#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""porteur-tool's token commands against the virtual token behind a real pcscd (run inside
tests/pcsc-harness): readers, token, pin status/verify/change/unblock, sign, wait; the card's own
counters (read through the token's control socket) agree with what the tool reports; a token
removed in the middle of an operation; no PIN in the debug log of a full PIN change.
Test PINs only, always through --pin-fd, never argv."""
import json, os, socket, subprocess, sys, tempfile, time

TOOL = os.environ["PORTEUR_TOOL"]
PROFILE = sys.argv[1] if len(sys.argv) > 1 else "oberthur-iasecc"

def control(command):
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["PORTEUR_VTOKEN_CONTROL"])
    s.sendall(command.encode() + b"\n")
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    s.close()
    return answer.decode().strip()

def card_tries(ref):
    return int([w for w in control("dump").split() if w.startswith("pin%d=" % ref)][0].split("=")[1].split("/")[0])

def run(*args, secrets=None, env=None):
    fds = ()
    argv = [*os.environ.get("PORTEUR_TEST_WRAPPER", "").split(), TOOL, *args]
    if secrets is not None:
        r, w = os.pipe()
        os.write(w, ("".join(s + "\n" for s in secrets)).encode())
        os.close(w)
        fds = (r,)
        argv += ["--pin-fd", str(r)]
    p = subprocess.run(argv, capture_output=True, text=True, pass_fds=fds, env=env, timeout=60)
    for fd in fds:
        os.close(fd)
    return p

def js(p):
    return json.loads(p.stdout)

failures = 0
def expect(condition, message):
    global failures
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures += 1

def wait_present(present, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = run("readers", "--json")
        if p.returncode == 0 and any(r["token_present"] == present for r in js(p)["readers"] if r["name"].endswith("00 00")):
            return True
        time.sleep(0.1)
    return False

def user_pin(report):
    return [p for p in report["pins"] if not p["puk"]][0]

if PROFILE == "unknown":
    p = run("token", "--json")
    t = js(p)
    expect(p.returncode == 1 and t["supported"] is False and t["family"] == "unknown", "an unknown token is reported as such (exit 1)")
    expect(t["atr"] == "3B8F8001804F0CA000000306030001000000006A", "with its ATR")
    expect(t["atr_label"] and "MIFARE" in t["atr_label"], "and the label pcsc-tools' list gives it: %s" % t["atr_label"])
    p = run("token")
    expect(p.returncode == 1 and "not one Porteur knows" in p.stdout, "the human output says so too")
    sys.exit(1 if failures else 0)

# readers
p = run("readers", "--json")
readers = js(p)["readers"]
expect(p.returncode == 0 and len(readers) == 2, "two vpcd readers listed")
first = [r for r in readers if r["name"].endswith("00 00")][0]
expect(first["token_present"] and first["model"] == "Oberthur Cosmo v7 IAS-ECC", "the token is seen and named from our ATR table")
expect(not [r for r in readers if r["name"].endswith("00 01")][0]["token_present"], "the second slot is empty")

# token
p = run("token", "--json")
t = js(p)
expect(p.returncode == 0 and t["supported"] and t["family"] == "ias-ecc" and t["serial"] == "1C0B1A2D3E4F5061", "token identified: IAS-ECC, serial read")
expect([c["label"] for c in t["certificates"]] == ["Authentication", "Qualified signature", "ECC authentication"], "three certificates with their labels")
expect([c["non_repudiation"] for c in t["certificates"]] == [False, True, False], "the qualified signature key is marked")
expect(all(c["subject"] == "Anne Le Goff" for c in t["certificates"]), "certificates read from the token")
pin = user_pin(t)
expect(pin["tries_left"] == 3 and pin["tries_max"] == 3, "user PIN: 3 tries of 3")
p = run("token")
expect(p.returncode == 0 and "Qualified signature" in p.stdout and "3 tries left of 3" in p.stdout, "human output lists certificates and PIN tries")

# pin status / verify
p = run("pin", "status", "--json")
expect(p.returncode == 0 and user_pin(js(p))["tries_left"] == 3 and card_tries(1) == 3, "pin status: 3 tries, none spent")
p = run("pin", "verify", "--json", secrets=["9999"])
expect(p.returncode == 1 and user_pin(js(p))["tries_left"] == 2 and card_tries(1) == 2, "wrong PIN: exit 1, 2 tries reported and on the card")
p = run("pin", "verify", secrets=["1234"])
expect(p.returncode == 0 and card_tries(1) == 3, "right PIN: exit 0, counter back to 3")
p = run("pin", "verify", "--json", secrets=["12"])
expect(p.returncode == 1 and js(p)["error"]["code"] == 11 and card_tries(1) == 3, "a PIN too short is refused before the token: no try spent")

# last try
for _ in range(2):
    run("pin", "verify", secrets=["9999"])
p = run("pin", "verify", "--json", secrets=["1234"])
expect(p.returncode == 1 and js(p)["error"]["code"] == 10 and card_tries(1) == 1, "one try left: refused without --last-try, nothing sent")
p = run("pin", "verify", "--last-try", secrets=["1234"])
expect(p.returncode == 0 and card_tries(1) == 3, "with --last-try the right PIN passes")

# A full PIN change under the debug log: no PIN, in any form.
env = dict(os.environ, G_MESSAGES_DEBUG="all")
p1 = run("pin", "change", secrets=["1234", "97531"], env=env)
p2 = run("pin", "change", secrets=["97531", "1234"], env=env)
log = p1.stdout + p1.stderr + p2.stdout + p2.stderr
expect(p1.returncode == 0 and p2.returncode == 0, "PIN changed and changed back")
expect("00 24" in log and "SW 9000" in log, "the debug log shows the APDUs")
secrets = ["1234", "97531", "31323334", "3937353331", "31 32 33 34", "39 37 35 33 31"]
expect(not any(s in log for s in secrets), "no PIN value in the debug log of a full PIN change")

# unblock with the PUK
for _ in range(3):
    run("pin", "verify", "--last-try", secrets=["9999"])
p = run("pin", "status", "--json")
expect(p.returncode == 1 and user_pin(js(p))["blocked"] and card_tries(1) == 0, "blocked after three wrong PINs (status exits 1)")
p = run("pin", "unblock", "--json", secrets=["00000000", "4321"])
expect(p.returncode == 1 and card_tries(2) == 9 and [x for x in js(p)["pins"] if x["puk"]][0]["tries_left"] == 9, "wrong PUK: refused, 9 PUK tries reported and on the card")
p = run("pin", "unblock", secrets=["12345678", "4321"])
expect(p.returncode == 0 and card_tries(1) == 3 and card_tries(2) == 10, "unblocked with the PUK and a new PIN")
p = run("pin", "change", secrets=["4321", "1234"])
expect(p.returncode == 0, "PIN set back")

# sign, checked by openssl with the certificate
with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "document.txt")
    open(data, "w").write("Délibération du conseil municipal\n")
    for key, index in ((2, 1), (1, 0), (3, 2)):
        sig = os.path.join(tmp, "sig%d" % key)
        p = run("sign", "--key", str(key), "--in", data, "--out", sig, "--json", secrets=["1234"])
        expect(p.returncode == 0 and js(p)["verified"], "key %d signs, porteur-tool checks it" % key)
        cert = os.path.join(tmp, "cert%d.pem" % key)
        der = os.path.join(tmp, "cert%d.der" % key)
        import base64
        open(der, "wb").write(base64.b64decode(t["certificates"][index]["der"]))
        subprocess.run(["openssl", "x509", "-inform", "DER", "-in", der, "-pubkey", "-noout", "-out", cert], check=True)
        v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", cert, "-signature", sig, data], capture_output=True, text=True)
        expect(v.returncode == 0 and "Verified OK" in v.stdout, "openssl verifies key %d's signature with the certificate" % key)
    p = run("sign", "--key", "2", "--in", data, secrets=["9999"])
    expect(p.returncode == 1 and card_tries(1) == 2, "signing with a wrong PIN: refused, one try spent")
    run("pin", "verify", secrets=["1234"])

# Renewal's building blocks: a new key pair on the token, a request signed by it (through our
# OpenSSL provider), a certificate issued by another CA (openssl here), written back to the token.
with tempfile.TemporaryDirectory() as tmp:
    p = run("key", "generate", "--key", "1", "--json", secrets=["1234"])
    expect(p.returncode == 0 and "BEGIN PUBLIC KEY" in js(p)["public_key"], "key generate: a new key pair, its public key printed")
    pub = os.path.join(tmp, "new.pub")
    open(pub, "w").write(js(p)["public_key"])
    req = os.path.join(tmp, "req.pem")
    p = run("key", "csr", "--key", "1", "--subject", "/CN=Anne Le Goff/O=COMMUNE DE RENNES", "--out", req, secrets=["1234"])
    expect(p.returncode == 0 and os.path.exists(req), "key csr: a request signed on the token")
    v = subprocess.run(["openssl", "req", "-in", req, "-verify", "-noout"], capture_output=True, text=True)
    expect(v.returncode == 0 and "verify OK" in (v.stdout + v.stderr), "openssl verifies the request's signature")
    m1 = subprocess.run(["openssl", "req", "-in", req, "-pubkey", "-noout"], capture_output=True, text=True).stdout
    expect(m1.strip() == open(pub).read().strip(), "the request carries the new public key")
    ca_key, ca_crt, crt = (os.path.join(tmp, n) for n in ("ca.key", "ca.crt", "new.crt"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
                    "-subj", "/CN=Renewal Test CA", "-days", "2"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", req, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", crt, "-days", "1"], check=True, capture_output=True)
    p = run("key", "write-cert", "--key", "1", "--in", crt, secrets=["1234"])
    expect(p.returncode == 0, "key write-cert: the certificate is written")
    t2 = js(run("token", "--json"))
    import base64
    der_new = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"], capture_output=True).stdout
    expect(base64.b64decode(t2["certificates"][0]["der"]) == der_new, "the token now holds the new certificate")
    data = os.path.join(tmp, "doc.txt")
    open(data, "w").write("après renouvellement\n")
    sig = os.path.join(tmp, "sig")
    p = run("sign", "--key", "1", "--in", data, "--out", sig, secrets=["1234"])
    v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, data], capture_output=True, text=True)
    expect(p.returncode == 0 and v.returncode == 0, "the new key signs and openssl verifies it with the new certificate's key")
    p = run("key", "csr", "--key", "1", "--subject", "/CN=x", secrets=["9999"])
    expect(p.returncode == 1 and card_tries(1) == 2, "a request with a wrong PIN: refused once, one try spent")
    run("pin", "verify", secrets=["1234"])

# A second key in a slot the token's directory does not list: generate, request, certificate
# written with new PKCS#15 entries; a fresh pcscd connection lists it with its key, and so does
# OpenSC's pkcs15-tool (an implementation we did not write).
with tempfile.TemporaryDirectory() as tmp:
    t0 = js(run("token", "--json"))
    expect(all(c["key"] != 4 for c in t0["certificates"]), "slot 4 has no certificate yet")
    p = run("key", "generate", "--key", "4", "--json", secrets=["1234"])
    expect(p.returncode == 0 and "BEGIN PUBLIC KEY" in js(p)["public_key"], "key generate in a spare slot")
    req, ca_key, ca_crt, crt = (os.path.join(tmp, n) for n in ("req.pem", "ca.key", "ca.crt", "new.crt"))
    p = run("key", "csr", "--key", "4", "--subject", "/CN=Anne Le Goff (chiffrement)/O=COMMUNE DE RENNES", "--out", req, secrets=["1234"])
    expect(p.returncode == 0, "key csr with the spare slot's key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
                    "-subj", "/CN=Second Test CA", "-days", "2"], check=True, capture_output=True)
    ext = os.path.join(tmp, "ext.cnf")
    open(ext, "w").write("keyUsage = critical, digitalSignature, keyEncipherment\n")
    subprocess.run(["openssl", "x509", "-req", "-in", req, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                    "-extfile", ext, "-out", crt, "-days", "1"], check=True, capture_output=True)
    debug = dict(os.environ, G_MESSAGES_DEBUG="all")   # (GLib writes debug messages to stdout)
    run("pin", "status", env=debug)
    p = run("pin", "status", env=debug)
    expect(p.returncode == 0 and "description from the cache" in p.stdout + p.stderr, "pin status (a new process) uses the cached description")
    p = run("key", "write-cert", "--key", "4", "--in", crt, secrets=["1234"])
    expect(p.returncode == 0, "key write-cert in the spare slot: written with new directory entries (%s)" % p.stderr.strip()[-200:])
    p = run("pin", "status", env=debug)
    expect(p.returncode == 0 and "PIN description from the cache" not in p.stdout + p.stderr, "after our write, the next pin status reads the token")
    der_new = subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER"], capture_output=True).stdout
    t4 = js(run("token", "--json"))
    listed = [c for c in t4["certificates"] if c["key"] == 4]
    import base64, hashlib
    modulus = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-modulus"], capture_output=True, text=True).stdout.strip().split("=")[1]
    key_id = hashlib.sha1(bytes.fromhex(modulus)).hexdigest().upper()
    expect(len(listed) == 1 and base64.b64decode(listed[0]["der"]) == der_new, "token (a new connection) lists the new certificate with key 4")
    expect(len(t4["certificates"]) == len(t0["certificates"]) + 1, "the other certificates are still listed")
    expect(listed and listed[0]["label"] == "Anne Le Goff (chiffrement)", "the new entry is labelled with the subject's name")
    d = subprocess.run(["pkcs15-tool", "-D"], capture_output=True, text=True)
    out = d.stdout
    expect(d.returncode == 0 and out.count("Anne Le Goff (chiffrement)") >= 2, "pkcs15-tool -D lists the new key and certificate")
    block = out[out.find("Private RSA Key [Anne Le Goff (chiffrement)]"):][:900]
    expect(("ID             : " + key_id.lower()) in block, "OpenSC sees the ID = SHA-1 of the modulus (%s, key 4 = %s)" % (key_id, listed[0]["id"] if listed else None))
    expect("Key ref        : 132 (0x84)" in block and "sign" in block and "decrypt" in block, "OpenSC reads the key reference and the usage from keyUsage: %s" % block[:400].replace("\n", " | "))
    data = os.path.join(tmp, "doc.txt")
    open(data, "w").write("deuxième clé\n")
    pem = os.path.join(tmp, "new.pub")
    subprocess.run(["openssl", "x509", "-in", crt, "-pubkey", "-noout", "-out", pem], check=True)
    sig = os.path.join(tmp, "sig")
    p = run("sign", "--key", "4", "--in", data, "--out", sig, secrets=["1234"])
    v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature", sig, data], capture_output=True, text=True)
    expect(p.returncode == 0 and v.returncode == 0, "key 4 signs; openssl verifies with the new certificate")

# The token removed in the middle of an operation: a precise error, and the counters stay true.
for at in (1, 2, 3):
    expect(control("remove-at %d" % at).startswith("ok"), "the token will vanish at APDU %d" % at)
    p = run("pin", "verify", "--json", secrets=["9999"])
    err = json.loads(p.stderr.strip().splitlines()[-1]) if p.stderr.strip() else {}
    removed = p.returncode == 2 and "error" in err
    expect(removed, "removal at APDU %d of pin verify: exit 2, error reported (%s)" % (at, p.stderr.strip()[-120:]))
    control("insert")
    # pcscd notices the removal and the new insertion a poll or two later (400 ms each).
    deadline = time.time() + 15
    p = run("pin", "status", "--json")
    while p.returncode != 0 and time.time() < deadline:
        time.sleep(0.2)
        p = run("pin", "status", "--json")
    expect(p.returncode == 0, "the token is back and answers")
    expect(user_pin(js(p))["tries_left"] == card_tries(1), "after removal, the tool and the card agree on the tries (%d)" % card_tries(1))
run("pin", "verify", secrets=["1234"])

# wait: events as they happen
w = subprocess.Popen([TOOL, "wait", "--json", "--count", "5", "--timeout", "20"], stdout=subprocess.PIPE, text=True)
time.sleep(1.5)
control("remove")
time.sleep(1.0)
control("insert")
out, _ = w.communicate(timeout=30)
events = [json.loads(line) for line in out.splitlines() if line.strip()]
kinds = [e["event"] for e in events]
expect(kinds.count("reader-added") == 2 and kinds[-2:] == ["token-removed", "token-inserted"], "wait reports the readers, then removal and insertion: %s" % kinds)
expect(events[-1]["atr"] == "3BDD18008131FE4580F9A000000077010800079000FE" and events[-1]["model"] == "Oberthur Cosmo v7 IAS-ECC", "the insertion carries the ATR and the model")

sys.exit(1 if failures else 0)
