#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""OpenSC's pkcs15-tool (an implementation we did not write) against the virtual token, inside
tests/pcsc-harness: it must list the PINs, read the certificates the card holds, and verify,
change and unblock the PIN with the expected effect on the card's own counters (read through the
token's control socket). Test PINs only."""
import glob, json, os, socket, subprocess, sys, tempfile

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
