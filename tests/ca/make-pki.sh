#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes the test PKI of the CMP, OCSP and CRL tests in DIR with OpenSSL's own tools:
#   root.pem/key        test root (the issuer of everything below), index.txt for `openssl ca`
#   cmpsrv.pem/key      CMP server (RA) signer
#   user.pem/key        a holder's certificate (AIA OCSP + CRL distribution point)
#   user2.pem/key       the certificate the mock CMP server hands out for IR
#   revoked.pem/key     revoked (keyCompromise) before the CRL is made
#   expired.pem/key     validity in the past, still "V" in the index
#   ocsp.pem/key        OCSP responder with OCSPSigning
#   noeku.pem/key       a responder certificate WITHOUT OCSPSigning
#   other-root.pem/key  an unrelated root
#   stranger.pem/key    issued by the root outside `openssl ca`: unknown to the responder
#   root.crl.pem, root.crl (DER)   CRL of the root, made after the revocation
#   stale.crl           a CRL of the root whose nextUpdate is past (made with faketime)
#   other.crl           a CRL of the unrelated root
# Usage: make-pki.sh DIR OCSP_PORT CRL_PORT
set -eu
dir=$1
ocsp_port=$2
crl_port=$3
mkdir -p "$dir/newcerts"
cd "$dir"
exec >make-pki.log 2>&1
: >index.txt
echo 1000 >serial
echo 1000 >crlnumber
echo "unique_subject = no" >index.txt.attr

cat >ca.cnf <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
crlnumber = crlnumber
certificate = root.pem
private_key = root.key
default_md = sha256
default_days = 365
default_crl_days = 7
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
countryName = optional
organizationName = optional
commonName = supplied
[ req ]
distinguished_name = req_dn
[ req_dn ]
[ root_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ user_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$ocsp_port/
crlDistributionPoints = URI:http://127.0.0.1:$crl_port/root.crl
[ ocsp_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
[ plain_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
CNF

key () {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
}

root () {
  key "$1"
  openssl req -config ca.cnf -x509 -new -key "$1.key" -out "$1.pem" -days 3650 \
    -subj "/C=FR/O=Porteur Test PKI/CN=$2" -extensions root_ext
}

issue () { # name ext subject [ca options…]
  name=$1 ext=$2 subj=$3
  shift 3
  key "$name"
  openssl req -config ca.cnf -new -key "$name.key" -out "$name.csr" -subj "$subj"
  openssl ca -config ca.cnf -batch -notext -extensions "$ext" -in "$name.csr" -out "$name.pem" "$@"
}

root root "Porteur Test Root"
root other-root "Unrelated Root"
issue cmpsrv plain_ext "/C=FR/O=Porteur Test PKI/CN=CMP Server"
issue user user_ext "/C=FR/O=Mairie de Test/CN=Anne Le Gall"
issue user2 user_ext "/C=FR/O=Mairie de Test/CN=Bob Martin"
issue revoked user_ext "/C=FR/O=Mairie de Test/CN=Revoked Holder"
issue expired user_ext "/C=FR/O=Mairie de Test/CN=Expired Holder" -startdate 20200101000000Z -enddate 20210101000000Z
issue ocsp ocsp_ext "/C=FR/O=Porteur Test PKI/CN=OCSP Responder"
issue noeku plain_ext "/C=FR/O=Porteur Test PKI/CN=Not A Responder"
key stranger
openssl req -config ca.cnf -new -key stranger.key -out stranger.csr -subj "/C=FR/O=Mairie de Test/CN=Stranger"
openssl x509 -req -in stranger.csr -CA root.pem -CAkey root.key -set_serial 0x9999 -days 30 \
  -extfile ca.cnf -extensions user_ext -out stranger.pem
openssl ca -config ca.cnf -revoke revoked.pem -crl_reason keyCompromise
openssl ca -config ca.cnf -gencrl -out root.crl.pem
openssl crl -in root.crl.pem -outform DER -out root.crl
faketime '10 days ago' openssl ca -config ca.cnf -gencrl -crldays 1 -out stale.crl.pem
openssl crl -in stale.crl.pem -outform DER -out stale.crl
openssl ca -config ca.cnf -gencrl -keyfile other-root.key -cert other-root.pem -out other.crl.pem
openssl crl -in other.crl.pem -outform DER -out other.crl
echo done
