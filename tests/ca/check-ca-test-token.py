#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""RA API §3.8 with the token, behind a real pcscd (run inside tests/pcsc-harness): the CA
simulator (started here, on the harness's private loopback) issues certificates for the virtual
token's own keys (porteur-ca-sim-admin issue-for-key), and `porteur-tool ca test-signature
--token-key K --pin-fd N` signs the CA's nonce on the token and gets the CA's verdict: with --cert,
with the certificate written to the token, RSA and EC keys; the token's factory certificate (another
CA) is untrusted; a wrong PIN is refused with one try spent. Test PINs only, through --pin-fd."""
import base64, json, os, socket, ssl, subprocess, sys, tempfile, urllib.request, uuid

TOOL = os.environ["PORTEUR_TOOL"]
SIM = os.environ["PORTEUR_CA_SIM"]
ADMIN = os.environ["PORTEUR_CA_SIM_ADMIN"]
WRAPPER = os.environ.get("PORTEUR_TEST_WRAPPER", "").split()

DOSSIER = {
    "support": "token", "has_compatible_token": True, "product": "rgs2-sign-token",
    "siret": "21350238800019", "requester_email": "agent@example.fr",
    "prerequisites_acknowledged": True, "organisation_type": "public-body", "requester_role": "holder",
    "organisation": {"name": "COMMUNE DE RENNES", "address": {"line1": "Hôtel de ville", "line2": "",
                                                               "postal_code": "35000", "city": "RENNES"}},
    "holder": {"civility": "mrs", "given_name": "Anne", "family_name": "Le Goff", "function": "Acheteuse",
               "service": "Commande publique", "email": "anne.legoff@example.fr", "phone": "+33299000000"},
    "legal_representative": {"civility": "mr", "given_name": "Yann", "family_name": "Kerjean",
                             "function": "Maire", "email": "yann.kerjean@example.fr"},
    "office": "cci-ille-et-vilaine-rennes",
}

failures = 0
def expect(condition, message):
    global failures
    print(("ok: " if condition else "FAIL: ") + message, flush=True)
    if not condition:
        failures += 1

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

def run(env, *args, secrets=None):
    fds = ()
    argv = [*WRAPPER, TOOL, *args]
    if secrets is not None:
        r, w = os.pipe()
        os.write(w, ("".join(s + "\n" for s in secrets)).encode())
        os.close(w)
        fds = (r,)
        argv += ["--pin-fd", str(r)]
    p = subprocess.run(argv, capture_output=True, text=True, pass_fds=fds, env=env, timeout=120)
    for fd in fds:
        os.close(fd)
    if p.returncode != 0:
        print("# %s: exit %d\n# %s\n# %s" % (" ".join(args), p.returncode, p.stdout.replace("\n", "\n# "),
                                              p.stderr.replace("\n", "\n# ")), flush=True)
    return p

def admin(state, *args):
    p = subprocess.run([ADMIN, "--state", state, *args], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("porteur-ca-sim-admin %s: %s" % (" ".join(args), p.stderr))
    return p.stdout.strip()

def api(url, context, method, path, body, token=None):
    data = json.dumps(body).encode()
    request = urllib.request.Request(url + "/api/v1" + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", str(uuid.uuid4()))
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.loads(answer.read())

def validated_order(url, context, state):
    order = api(url, context, "POST", "/orders", DOSSIER)
    api(url, context, "POST", "/orders/%s/submit" % order["number"], {}, order["access_token"])
    admin(state, "documents-received", order["number"])   # validation delay 0: validated at once
    return order["number"]

with tempfile.TemporaryDirectory() as tmp:
    state = os.path.join(tmp, "ca")
    sim = subprocess.Popen([SIM, "--listen", "127.0.0.1:0", "--state", state, "--validation-delay", "0"],
                           stdout=subprocess.PIPE, text=True)
    try:
        line = sim.stdout.readline().split()
        assert line and line[0] == "READY", "the simulator did not start"
        url = line[1]
        root = os.path.join(state, "pki", "root.pem")
        context = ssl.create_default_context(cafile=root)
        env = dict(os.environ, PORTEUR_CA_URL=url, PORTEUR_CA_TRUST=root, XDG_DATA_HOME=os.path.join(tmp, "data"))

        t = json.loads(run(env, "token", "--json").stdout)
        factory = {c["key"]: base64.b64decode(c["der"]) for c in t["certificates"]}
        expect(2 in factory and 3 in factory, "the token has the qualified signature key (2) and an EC key (3)")

        # The token's factory certificate of key 2, from another CA: signature good, certificate untrusted.
        p = run(env, "ca", "test-signature", "--token-key", "2", "--json", secrets=["1234"])
        v = json.loads(p.stdout) if p.returncode in (0, 1) else {}
        expect(p.returncode == 1 and v.get("signature_valid") is True and v.get("certificate_status") == "untrusted"
               and "not-this-ca" in [f["code"] for f in v.get("failures", [])],
               "the token's own certificate: signed on the token, but not this CA's (exit 1)")

        for key, algorithm in ((2, "rsa-pkcs1-sha256"), (3, "ecdsa-sha256")):
            der, pub, prefix = (os.path.join(tmp, "%s%d" % (n, key)) for n in ("factory", "pub", "issued"))
            open(der + ".der", "wb").write(factory[key])
            subprocess.run(["openssl", "x509", "-inform", "DER", "-in", der + ".der", "-pubkey", "-noout", "-out", pub],
                           check=True)
            serial = admin(state, "issue-for-key", validated_order(url, context, state), pub, prefix)
            p = run(env, "ca", "test-signature", "--token-key", str(key), "--cert", prefix + ".pem", "--json",
                    secrets=["1234"])
            v = json.loads(p.stdout) if p.returncode in (0, 1) else {}
            expect(p.returncode == 0 and v["signature_valid"] and v["certificate_valid"] and v["qualified"]
                   and v["certificate_status"] == "good" and v["serial"] == serial and v["algorithm"] == algorithm
                   and v["failures"] == [],
                   "key %d with the CA's certificate (--cert): valid, qualified, %s" % (key, algorithm))

        # The CA's certificate written to the token: the test then needs no --cert.
        p = run(env, "key", "write-cert", "--key", "2", "--in", os.path.join(tmp, "issued2.pem"), secrets=["1234"])
        expect(p.returncode == 0, "the CA's certificate for key 2 is written to the token")
        p = run(env, "ca", "test-signature", "--token-key", "2", secrets=["1234"])
        expect(p.returncode == 0 and "The certification authority accepts this signature and this certificate." in p.stdout
               and "Qualified: yes" in p.stdout, "key 2 with the certificate read from the token: valid (human output)")

        # Revoked by the office: the verdict says so.
        serial2 = subprocess.run(["openssl", "x509", "-in", os.path.join(tmp, "issued2.pem"), "-noout", "-serial"],
                                 capture_output=True, text=True, check=True).stdout.strip().split("=")[1]
        admin(state, "revoke", serial2, "1")
        p = run(env, "ca", "test-signature", "--token-key", "2", "--json", secrets=["1234"])
        v = json.loads(p.stdout) if p.returncode in (0, 1) else {}
        expect(p.returncode == 1 and v.get("signature_valid") is True and v.get("certificate_status") == "revoked",
               "after revocation by the office: revoked (exit 1)")

        # A wrong PIN: refused by the token, one try spent, no verdict.
        p = run(env, "ca", "test-signature", "--token-key", "3", "--cert", os.path.join(tmp, "issued3.pem"),
                secrets=["9999"])
        expect(p.returncode == 1 and card_tries(1) == 2 and "Signature:" not in p.stdout,
               "a wrong PIN: refused, one try spent, no verdict (exit 1)")
        p = run(env, "pin", "verify", secrets=["1234"])
        expect(p.returncode == 0 and card_tries(1) == 3, "the right PIN restores the tries")
    finally:
        sim.terminate()
        sim.wait(timeout=30)

sys.exit(1 if failures else 0)
