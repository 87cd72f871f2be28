#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make-fixtures.sh OUTDIR: signed PDFs made by tools we did not write (OpenSSL for the PKI, NSS's
# certutil/pk12util, poppler's pdfsig to sign, qpdf to rewrite, faketime to sign in the past),
# plus damaged and malformed variants. Test keys only; made fresh for each run.
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
ocsp_port=${2:-}   # when given: signers whose certificates name an OCSP responder on this port
mkdir -p "$out"
cd "$out"
exec 3>&2 2>make-fixtures.log

QC=30293008060604008E4601013008060604008E4601043013060604008E4601063009060704008E46010601

# A one-page PDF, written by hand then normalised by qpdf.
python3 - <<'PY'
content = b"BT /F1 24 Tf 72 720 Td (Deliberation 2026-042) Tj ET"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = b"%PDF-1.7\n"
offsets = []
for i, o in enumerate(objs):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offsets:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open("raw.pdf", "wb").write(out)
PY
qpdf raw.pdf base.pdf

# The PKI: a root we trust, a root we do not, and signers.
cat > ca.cnf <<CNF
[ ca ]
default_ca = root
[ root ]
dir = $out
database = $out/index.txt
crlnumber = $out/crlnumber
default_md = sha256
default_crl_days = 30
CNF
: > index.txt
echo 01 > crlnumber

make_root() { # name CN (made three years ago, like a real root)
  faketime "1095 days ago" openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \
    -subj "/C=FR/O=Porteur Test PKI/CN=$2" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
make_signer() { # name CN issuer days [faketime-offset] [extra extension line] [key bits]
  local name=$1 cn=$2 issuer=$3 days=$4 when=${5:-} extra=${6:-} bits=${7:-2048}
  openssl req -newkey rsa:$bits -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/C=FR/O=COMMUNE DE RENNES/organizationIdentifier=NTRFR-21350238800019/CN=$cn/emailAddress=$name@example.fr"
  printf 'basicConstraints=CA:false\nkeyUsage=critical,nonRepudiation\ncertificatePolicies=1.2.250.1.86.2.6.1\n1.3.6.1.5.5.7.1.3=DER:%s\n%s\n' "$QC" "$extra" > "$name.ext"
  ${when:+faketime "$when"} openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days "$days" -extfile "$name.ext" -out "$name.pem"
  openssl pkcs12 -export -inkey "$name.key" -in "$name.pem" -name "$name" -passout pass:fixture -out "$name.p12"
}
make_root root "Porteur Test Root"
make_root stranger "Unknown Test Root"
make_signer good "Anne Le Goff" root 1000
make_signer second "Yann Kerjean" root 1000
make_signer expired "Erwan Expired" root 30 "400 days ago"
make_signer past "Paola Past" root 1000 "400 days ago"
make_signer revoked "Roland Revoked" root 1000
make_signer unknown "Ursula Unknown" stranger 1000
make_signer weak "Wendy Weak" root 1000 "" "" 1024
# The OCSP responder's own certificate, for OCSP signing only.
openssl req -newkey rsa:2048 -nodes -keyout ocsp.key -out ocsp.csr -subj "/C=FR/O=Porteur Test PKI/CN=Test OCSP Responder"
printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n' > ocsp.ext
openssl x509 -req -in ocsp.csr -CA root.pem -CAkey root.key -set_serial 0x4f435350 -days 30 -extfile ocsp.ext -out ocsp.pem
openssl ca -config ca.cnf -keyfile root.key -cert root.pem -valid good.pem
if [ -n "$ocsp_port" ]; then
  aia="authorityInfoAccess=OCSP;URI:http://127.0.0.1:$ocsp_port/"
  make_signer ocsp-good "Olivier Ocsp" root 1000 "" "$aia"
  make_signer ocsp-revoked "Odile Ocsp" root 1000 "" "$aia"
  openssl ca -config ca.cnf -keyfile root.key -cert root.pem -valid ocsp-good.pem
  openssl ca -config ca.cnf -keyfile root.key -cert root.pem -revoke ocsp-revoked.pem -crl_reason keyCompromise
fi

openssl ca -config ca.cnf -keyfile root.key -cert root.pem -revoke revoked.pem -crl_reason keyCompromise
openssl ca -config ca.cnf -keyfile root.key -cert root.pem -gencrl -out crl.pem
cat root.pem crl.pem > trust.pem
openssl crl -in crl.pem -outform DER -out crl.der
openssl x509 -in ocsp.pem -outform DER -out ocsp.der
# OCSP responses made offline by `openssl ocsp` from the CA's index, to embed in documents.
ocsp_response() { # cert out
  openssl ocsp -issuer root.pem -cert "$1.pem" -no_nonce -reqout "$2.req"
  openssl ocsp -index index.txt -CA root.pem -rsigner ocsp.pem -rkey ocsp.key -reqin "$2.req" -respout "$2" -ndays 7
}
ocsp_response good good.ocsp
ocsp_response revoked revoked.ocsp

# NSS database for pdfsig, with every signer's key.
mkdir -p nss
certutil -N -d sql:nss --empty-password
signers="good second expired past revoked unknown weak ${ocsp_port:+ocsp-good ocsp-revoked}"
for s in $signers; do
  pk12util -i "$s.p12" -d sql:nss -W fixture -K '' >/dev/null
done
certutil -A -d sql:nss -n root -t "CT,C,C" -i root.pem

sign() { # in out nick [faketime]
  ${4:+faketime "$4"} pdfsig "$1" "$2" -add-signature -nssdir sql:nss -nick "$3" -new-signature-field-name "Signature-$3" || true
  [ -s "$2" ] || { echo "pdfsig did not sign $2" >&3; exit 1; }
}
sign base.pdf signed.pdf good
sign signed.pdf signed-twice.pdf second
sign base.pdf expired.pdf expired "390 days ago"
sign base.pdf past.pdf past "200 days ago"
sign base.pdf revoked.pdf revoked
sign base.pdf unknown-ca.pdf unknown
sign base.pdf weak.pdf weak
if [ -n "$ocsp_port" ]; then
  sign base.pdf ocsp-good.pdf ocsp-good
  sign base.pdf ocsp-revoked.pdf ocsp-revoked
fi

# Changed after signing: an incremental update replacing the page's content.
python3 - <<'PY'
import re
data = open("signed.pdf", "rb").read()
startxref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
size = max(int(x) for x in re.findall(rb"/Size (\d+)", data))
root = re.findall(rb"/Root (\d+ \d+ R)", data)[-1]
# The page object's latest version: the last "/Type /Page" that is not "/Pages".
hits = [m.start() for m in re.finditer(rb"/Type\s*/Page(?![s])", data)]
at = hits[-1]
obj = data.rindex(b" obj", 0, at)
num_start = data.rindex(b"\n", 0, obj) + 1
page_num = int(data[num_start:obj].split()[0])
body = data[obj + 4:data.index(b"endobj", at)]
content = b"BT /F1 24 Tf 72 720 Td (Deliberation 2026-042: AMOUNT 999 999 EUR) Tj ET"
new_content_num = size
update = b"\n"
offsets = {}
offsets[new_content_num] = len(data) + len(update)
update += b"%d 0 obj\n<< /Length %d >>\nstream\n" % (new_content_num, len(content)) + content + b"\nendstream\nendobj\n"
new_page = re.sub(rb"/Contents \d+ 0 R", b"/Contents %d 0 R" % new_content_num, body.strip())
offsets[page_num] = len(data) + len(update)
update += b"%d 0 obj\n" % page_num + new_page + b"\nendobj\n"
xref = len(data) + len(update)
update += b"xref\n0 1\n0000000000 65535 f \n"
for num in sorted(offsets):
    update += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
update += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size + 1, root, startxref, xref)
open("modified.pdf", "wb").write(data + update)

# One byte changed inside the first signed range (the page's size: 842 becomes 843).
i = data.index(b"842")
open("tampered.pdf", "wb").write(data[:i] + b"843" + data[i + 3:])

# Malformed signatures.
br = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
a, b, c, d = (int(x) for x in br.groups())
def with_range(text):
    text = text.ljust(len(br.group(0)))[:len(br.group(0))]
    return data[:br.start()] + text + data[br.end():]
open("range-out-of-bounds.pdf", "wb").write(with_range(b"/ByteRange [0 %d %d %d]" % (b, c, d + 100000)))
open("range-overlap.pdf", "wb").write(with_range(b"/ByteRange [0 %d %d %d]" % (b + 10, b, d)))
open("range-not-integers.pdf", "wb").write(with_range(b"/ByteRange [0 x %d %d]" % (c, d)))
open("contents-not-hex.pdf", "wb").write(data[:b + 1] + b"ZZ" + data[b + 3:])
garbage = bytes((i * 37 + 11) % 256 for i in range(200)).hex().encode()
open("cms-garbage.pdf", "wb").write(data[:b + 1] + b"3082" + b"00c8" + garbage + data[b + 1 + 8 + len(garbage):])
open("truncated.pdf", "wb").write(data[:len(data) // 2])
open("truncated-end.pdf", "wb").write(data[:len(data) - 200])
# A /Contents hole of 65 MiB.
huge = b"%PDF-1.7\n1 0 obj\n<< /Type /Sig /ByteRange [0 60 " + str(60 + 2 + 65 * 1024 * 1024).encode() + b" 10] /Contents <"
head = huge[:60].ljust(60)
hole = b"<" + b"30" * (65 * 1024 * 1024 // 2) + b">"
open("contents-huge.pdf", "wb").write(head + hole + b"\nendobj\n%%EOF\n"[:10].ljust(10))
PY

# The window's tests need the files above only (PORTEUR_FIXTURES=basic): stop here for them.
if [ "${PORTEUR_FIXTURES:-all}" = basic ]; then
  echo "not a PDF at all" > not-a-pdf.pdf
  echo ok >&3
  exit 0
fi

# Signatures pdfsig cannot make, from the openssl command (cms, ts, ocsp); pdf-fixture.py only
# splices the bytes into place (placeholder, /Contents, unsigned attributes, DSS update).
splice="python3 $here/pdf-fixture.py"
# Time-stamping authorities: one under our root, one under the root we do not trust.
make_tsa() { # name issuer
  faketime "1000 days ago" openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \
    -CA "$2.pem" -CAkey "$2.key" -subj "/C=FR/O=Porteur Test PKI/CN=Test TSA $1" \
    -addext "basicConstraints=critical,CA:false" -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=critical,timeStamping"
}
make_tsa tsa root
make_tsa tsa-stranger stranger
cat > ts.cnf <<CNF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = $out/tsaserial
signer_digest = sha256
default_policy = 1.2.250.1.86.3.1
digests = sha256, sha1
accuracy = secs:1
ess_cert_id_alg = sha256
CNF
echo 01 > tsaserial
os_sign() { # out signer md [faketime]
  $splice placeholder base.pdf "$1.placeholder.pdf" "$1.ranges"
  ${4:+faketime "$4"} openssl cms -sign -binary -outform DER -in "$1.ranges" -signer "$2.pem" -inkey "$2.key" \
    -certfile root.pem -md "$3" -out "$1.cms"
  $splice embed "$1.placeholder.pdf" "$1.cms" "$1"
}
timestamp() { # in out tsa [faketime] [data-instead-of-the-signature]
  $splice signature "$1.cms" "$2.sigvalue"
  openssl ts -query -data "${5:-$2.sigvalue}" -sha256 -cert -out "$2.tsq"
  ${4:+faketime "$4"} openssl ts -reply -config ts.cnf -queryfile "$2.tsq" -inkey "$3.key" -signer "$3.pem" -token_out -out "$2.tst"
  $splice add-unsigned "$1.cms" 1.2.840.113549.1.9.16.2.14 "$2.tst" "$2.cms"
  $splice embed "$1.placeholder.pdf" "$2.cms" "$2"
}
os_sign openssl-signed.pdf good sha256
os_sign sha1.pdf good sha1
timestamp openssl-signed.pdf timestamped.pdf tsa
timestamp openssl-signed.pdf ts-imprint.pdf tsa "" base.pdf
timestamp openssl-signed.pdf ts-untrusted.pdf tsa-stranger
# adbe.pkcs7.sha1: the CMS encapsulates the SHA-1 digest of the ranges (made by openssl dgst).
$splice placeholder base.pdf pkcs7-sha1.pdf.placeholder.pdf pkcs7-sha1.pdf.ranges adbe.pkcs7.sha1
openssl dgst -sha1 -binary -out pkcs7-sha1.pdf.digest pkcs7-sha1.pdf.ranges
openssl cms -sign -binary -nodetach -outform DER -in pkcs7-sha1.pdf.digest -signer good.pem -inkey good.key \
  -certfile root.pem -md sha256 -out pkcs7-sha1.pdf.cms
$splice embed pkcs7-sha1.pdf.placeholder.pdf pkcs7-sha1.pdf.cms pkcs7-sha1.pdf
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d.replace(b"842", b"843", 1))' \
  pkcs7-sha1.pdf pkcs7-sha1-tampered.pdf
os_sign expired-os.pdf expired sha256 "390 days ago"
timestamp expired-os.pdf ts-expired.pdf tsa "389 days ago"
timestamp expired-os.pdf ts-too-late.pdf tsa
cat trust.pem stranger.pem > trust-stranger.pem

# Embedded revocation data. In the CMS (SignedData.crls, unsigned: spliced after signing):
os_sign cms-crl-revoked.pdf revoked sha256
$splice add-crl cms-crl-revoked.pdf.cms crl.der cms-crl-revoked.pdf.cms2
$splice embed cms-crl-revoked.pdf.placeholder.pdf cms-crl-revoked.pdf.cms2 cms-crl-revoked.pdf
os_sign cms-crl-good.pdf good sha256
$splice add-crl cms-crl-good.pdf.cms crl.der cms-crl-good.pdf.cms2
$splice embed cms-crl-good.pdf.placeholder.pdf cms-crl-good.pdf.cms2 cms-crl-good.pdf
# In the signed attribute adbe-revocationInfoArchival: the attributes are re-signed by openssl.
revinfo_sign() { # out signer revinfo-args…
  local out=$1 signer=$2; shift 2
  os_sign "$out" "$signer" sha256
  $splice revinfo "$out.revinfo" "$@"
  $splice add-signed "$out.cms" 1.2.840.113583.1.1.8 "$out.revinfo" "$out.attrs" "$out.cms2"
  openssl dgst -sha256 -sign "$signer.key" -out "$out.sig" "$out.attrs"
  $splice set-signature "$out.cms2" "$out.sig" "$out.cms3"
  $splice embed "$out.placeholder.pdf" "$out.cms3" "$out"
}
revinfo_sign revinfo-good.pdf good --ocsp good.ocsp
revinfo_sign revinfo-revoked.pdf revoked --crl crl.der
# In a DSS added by an incremental update after the pdfsig signature.
$splice dss revoked.pdf dss-crl.pdf --crl crl.der
$splice dss revoked.pdf dss-ocsp.pdf --ocsp revoked.ocsp --cert ocsp.der
$splice dss signed.pdf dss-good.pdf --ocsp good.ocsp --cert ocsp.der
$splice dss signed.pdf dss-modified.pdf --ocsp good.ocsp --cert ocsp.der --extra page
$splice dss signed.pdf dss-content.pdf --ocsp good.ocsp --cert ocsp.der --extra content
$splice dss signed.pdf dss-catalog.pdf --ocsp good.ocsp --cert ocsp.der --extra catalog

qpdf signed.pdf rewritten.pdf || true
qpdf --encrypt user owner 256 -- signed.pdf encrypted.pdf || true
echo "not a PDF at all" > not-a-pdf.pdf
echo ok >&3
