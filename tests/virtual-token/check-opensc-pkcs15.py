#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenSC's pkcs15-tool (an implementation we did not write) against the virtual token, inside
tests/pcsc-harness: it must list the PINs, read the certificates the card holds, and verify,
change and unblock the PIN with the expected effect on the card's own counters (read through the
token's control socket). Test PINs only."""
import glob, hashlib, json, os, socket, subprocess, sys, tempfile

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

def tool(*args):
    r = subprocess.run(["pkcs15-tool", *args], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr

def expect(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)
    print("ok:", message)

def pin_counter():
    dump = control("dump")
    return [w for w in dump.split() if w.startswith("pin1=")][0].split("=")[1].split(",")[0]

rc, out = tool("--list-pins")
expect(rc == 0 and "PIN [User PIN]" in out and "PIN [PUK]" in out and "Reference      : 1" in out, "pkcs15-tool lists the user PIN and the PUK")

# The certificates OpenSC reads are the ones in the card's memory.
with tempfile.TemporaryDirectory() as tmp:
    state = os.path.join(tmp, "state.json")
    expect(control("save " + state) == "ok saved", "the token saves its state")
    keys = {k["ref"]: k["certificate"] for k in json.load(open(state))["keys"]}
    for ref in (1, 2, 3):
        rc, pem = tool("--read-certificate", "%02d" % ref)
        der = subprocess.run(["openssl", "x509", "-outform", "DER"], input=pem.encode(), capture_output=True).stdout
        expect(rc == 0 and der.hex().upper() == keys[ref], "certificate %d read by OpenSC equals the card's" % ref)

# Signatures made by OpenSC on the card, checked by openssl with the certificate OpenSC reads.
# OpenSC 0.23's IAS-ECC driver reads the key's SDO (size, access rules), takes the algorithm
# reference from TokenInfo and signs a DigestInfo with INTERNAL AUTHENTICATE (CKM_RSA_PKCS) on the
# authentication key. Test PIN only.
def openssl_verifies(cert_pem, signature, message):
    with tempfile.TemporaryDirectory() as tmp:
        pub = os.path.join(tmp, "pub.pem")
        p = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-out", pub], input=cert_pem.encode(), capture_output=True)
        if p.returncode != 0:
            return False
        v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", signature, message], capture_output=True, text=True)
        return v.returncode == 0 and "Verified OK" in v.stdout

MODULE = (glob.glob("/usr/lib/*/opensc-pkcs11.so") + glob.glob("/usr/lib/opensc-pkcs11.so"))[0]
with tempfile.TemporaryDirectory() as tmp:
    message = os.path.join(tmp, "deliberation.txt")
    open(message, "w").write("Deliberation 2026-042 du conseil municipal\n")
    digest_info = os.path.join(tmp, "digest-info")
    open(digest_info, "wb").write(bytes.fromhex("3031300d060960864801650304020105000420") +
                                  hashlib.sha256(open(message, "rb").read()).digest())
    rc, cert1 = tool("--read-certificate", "01")
    cert1 = cert1[cert1.index("-----BEGIN"):]
    sig = os.path.join(tmp, "sig-pkcs11")
    p = subprocess.run(["pkcs11-tool", "--module", MODULE, "--sign", "--mechanism", "RSA-PKCS", "--id", "01",
                        "--pin", "1234", "-i", digest_info, "-o", sig], capture_output=True, text=True)
    expect(p.returncode == 0 and openssl_verifies(cert1, sig, message),
           "pkcs11-tool signs with key 1 (RSA-PKCS over a SHA-256 DigestInfo) and openssl verifies it")
    sig = os.path.join(tmp, "sig-pkcs15")
    p = subprocess.run(["pkcs15-crypt", "--sign", "--key", "01", "--pkcs1", "--pin", "1234",
                        "-i", digest_info, "-o", sig], capture_output=True, text=True)
    expect(p.returncode == 0 and openssl_verifies(cert1, sig, message), "pkcs15-crypt signs with key 1 and openssl verifies it")
    expect(pin_counter() == "3/3", "signing cost no PIN try")
    # The qualified key refuses INTERNAL AUTHENTICATE (its DOCP allows PSO CDS only): OpenSC
    # reads that rule from the card and does not send the signature command.
    p = subprocess.run(["pkcs11-tool", "--module", MODULE, "--sign", "--mechanism", "RSA-PKCS", "--id", "02",
                        "--pin", "1234", "-i", digest_info, "-o", os.path.join(tmp, "sig2")], capture_output=True, text=True)
    expect(p.returncode != 0 and "CKR_FUNCTION_FAILED" in p.stderr,
           "OpenSC refuses RSA-PKCS on the qualified key, whose access rules allow PSO CDS only")

def token_flags():
    module = (glob.glob("/usr/lib/*/opensc-pkcs11.so") + glob.glob("/usr/lib/opensc-pkcs11.so"))[0]
    out = subprocess.run(["pkcs11-tool", "--module", module, "-L"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "token flags" in l][0]

expect(pin_counter() == "3/3", "three tries at the start")
expect("count low" not in token_flags() and "final user PIN try" not in token_flags(), "OpenSC's PKCS#11 module sees all tries left")
tool("--verify-pin", "--auth-id", "01", "--pin", "9999")
expect("user PIN count low" in token_flags(), "OpenSC reads the tries left from the card: count low after a wrong PIN")
tool("--verify-pin", "--auth-id", "01", "--pin", "9999")
expect("final user PIN try" in token_flags() and pin_counter() == "1/3", "OpenSC reads the last try")
tool("--verify-pin", "--auth-id", "01", "--pin", "1234")
expect(pin_counter() == "3/3", "the right PIN restores the tries")
rc, out = tool("--verify-pin", "--auth-id", "01", "--pin", "9999")
expect(rc != 0 and pin_counter() == "2/3", "a wrong PIN through OpenSC costs one try")
rc, out = tool("--verify-pin", "--auth-id", "01", "--pin", "1234")
expect(rc == 0 and pin_counter() == "3/3", "the right PIN through OpenSC restores the tries")
rc, out = tool("--change-pin", "--auth-id", "01", "--pin", "1234", "--new-pin", "4321")
expect(rc == 0, "OpenSC changes the PIN")
rc, _ = tool("--verify-pin", "--auth-id", "01", "--pin", "1234")
rc2, _ = tool("--verify-pin", "--auth-id", "01", "--pin", "4321")
expect(rc != 0 and rc2 == 0, "after the change only the new PIN works")
for _ in range(3):
    tool("--verify-pin", "--auth-id", "01", "--pin", "0000")
expect(pin_counter() == "0/3", "three wrong PINs block it")
rc, _ = tool("--verify-pin", "--auth-id", "01", "--pin", "4321")
expect(rc != 0, "a blocked PIN refuses even the right value")
rc, out = tool("--unblock-pin", "--auth-id", "01", "--puk", "12345678", "--new-pin", "5678")
expect(rc == 0 and pin_counter() == "3/3", "OpenSC unblocks it with the PUK")
rc, _ = tool("--verify-pin", "--auth-id", "01", "--pin", "5678")
expect(rc == 0, "the new PIN set by the unblock works")
print("1 passed, 0 failed")
