#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Byte splicing for the PDF fixtures that pdfsig cannot make. No cryptography here: every
signature, digest, timestamp token, CRL and OCSP response comes from the openssl command; this
only places bytes where PDF and CMS put them.

  placeholder IN.pdf OUT.pdf RANGES.bin [SUBFILTER]  add a signature field with an empty /Contents
                                                     (incremental update), write the signed bytes
  embed PDF CMS.der OUT.pdf                          write a CMS into the placeholder's hole
  signature CMS.der OUT.bin                          the signer's signature value
  signed-attrs CMS.der OUT.der                       the signed attributes, DER as signed (SET)
  add-unsigned CMS.der OID VALUE.der OUT.der         add an unsigned attribute to the signer
  add-signed CMS.der OID VALUE.der ATTRS-OUT.der OUT.der
                                                     add a signed attribute (OUT is not yet
                                                     re-signed: sign ATTRS-OUT then set-signature)
  set-signature CMS.der SIG.bin OUT.der              replace the signer's signature value
  add-crl CMS.der CRL.der OUT.der                    add a CRL to SignedData.crls
  revinfo OUT.der [--crl F]… [--ocsp F]…              an adbe-revocationInfoArchival value
  dss PDF OUT.pdf [--crl F]… [--ocsp F]… [--cert F]… [--extra page|content|catalog]
                                                     add a /DSS as an incremental update; --extra
                                                     also changes the page, its content or the catalog (not allowed)
"""
import re
import sys
import zlib


# --- DER -------------------------------------------------------------------------------------

def parse(buf, i=0, end=None):
    """A node is [tag, bytes] (primitive) or [tag, [nodes]] (constructed)."""
    end = len(buf) if end is None else end
    nodes = []
    while i < end:
        tag = buf[i]
        assert tag & 0x1f != 0x1f, "multi-byte tags are not used here"
        length = buf[i + 1]
        j = i + 2
        if length & 0x80:
            n = length & 0x7f
            assert n, "indefinite lengths are not expected from openssl"
            length = int.from_bytes(buf[j:j + n], "big")
            j += n
        content_end = j + length
        assert content_end <= end, "truncated DER"
        if tag & 0x20:
            nodes.append([tag, parse(buf, j, content_end)])
        else:
            nodes.append([tag, bytes(buf[j:content_end])])
        i = content_end
    return nodes


def encode(node):
    tag, value = node
    content = b"".join(encode(n) for n in value) if isinstance(value, list) else value
    n = len(content)
    if n < 0x80:
        header = bytes([tag, n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(size)]) + size
    return header + content


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7f]
        p >>= 7
        while p:
            chunk.insert(0, 0x80 | (p & 0x7f))
            p >>= 7
        out += bytes(chunk)
    return [0x06, out]


def load_cms(path):
    root = parse(open(path, "rb").read())[0]
    signed_data = root[1][1][1][0]
    signer_infos = signed_data[1][-1]
    assert signer_infos[0] == 0x31 and len(signer_infos[1]) == 1
    return root, signed_data, signer_infos[1][0]


def save(node, path):
    open(path, "wb").write(encode(node))


def child(node, tag):
    for n in node[1]:
        if n[0] == tag:
            return n
    return None


def attribute(oid_text, value_path):
    return [0x30, [oid(oid_text), [0x31, parse(open(value_path, "rb").read())]]]


def sort_set(nodes):
    nodes.sort(key=encode)


# --- PDF -------------------------------------------------------------------------------------

def last_object(data, num):
    hits = [m for m in re.finditer(rb"(?<![0-9])%d 0 obj" % num, data)]
    m = hits[-1]
    end = data.index(b"endobj", m.end())
    return data[m.end():end].strip()


def trailer_facts(data):
    startxref = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    size = max(int(x) for x in re.findall(rb"/Size (\d+)", data))
    root = int(re.findall(rb"/Root (\d+) 0 R", data)[-1])
    return startxref, size, root


def first_page(data, root):
    pages = int(re.search(rb"/Pages (\d+) 0 R", last_object(data, root)).group(1))
    return int(re.search(rb"/Kids \[\s*(\d+) 0 R", last_object(data, pages)).group(1))


def update(data, objects, size, root, startxref):
    """objects: {num: body bytes}. Returns data + the incremental update."""
    out = b"\n"
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(data) + len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(data) + len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    new_size = max(size, max(objects) + 1)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (new_size, root, startxref, xref)
    return data + out


def dict_with(body, key, value):
    assert body.startswith(b"<<") and body.endswith(b">>")
    body = re.sub(rb"\s*" + re.escape(key) + rb"\s+(\d+ 0 R|<<.*?>>|\[[^\]]*\])", b"", body, flags=re.S)
    return body[:-2].rstrip() + b" " + key + b" " + value + b" >>"


HOLE = 40000   # hex digits in the placeholder's /Contents


def placeholder(src, dst, ranges, sub_filter="adbe.pkcs7.detached"):
    data = open(src, "rb").read()
    startxref, size, root = trailer_facts(data)
    page = first_page(data, root)
    sig, field = size, size + 1
    sig_body = (b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /" + sub_filter.encode() +
                b" /Name (Porteur fixture) /M (D:20260101120000Z) /ByteRange [0 0000000000 0000000000 0000000000] /Contents <" +
                b"0" * HOLE + b"> >>")
    field_body = b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature-openssl) /F 132 /Rect [0 0 0 0] /P %d 0 R /V %d 0 R >>" % (page, sig)
    page_body = dict_with(last_object(data, page), b"/Annots", b"[%d 0 R]" % field)
    root_body = dict_with(last_object(data, root), b"/AcroForm", b"<< /Fields [%d 0 R] /SigFlags 3 >>" % field)
    out = update(data, {sig: sig_body, field: field_body, page: page_body, root: root_body}, size, root, startxref)
    # Fill in the byte range around the hole.
    at = out.index(b"/Contents <" + b"0" * HOLE) + len(b"/Contents ")
    a, b = at, at + HOLE + 2
    br = b"[0 %d %d %d]" % (a, b, len(out) - b)
    template = b"[0 0000000000 0000000000 0000000000]"
    out = out.replace(template, br.ljust(len(template)), 1)
    assert len(out) - b == int(br.split()[3][:-1])
    open(dst, "wb").write(out)
    open(ranges, "wb").write(out[:a] + out[b:])


def embed(pdf, cms, dst):
    data = open(pdf, "rb").read()
    der = open(cms, "rb").read()
    hexed = der.hex().encode()
    at = data.index(b"/Contents <" + b"0" * HOLE) + len(b"/Contents <")
    assert len(hexed) <= HOLE, "the CMS is larger than the placeholder"
    open(dst, "wb").write(data[:at] + hexed + data[at + len(hexed):])


def dss(pdf, dst, crls, ocsps, certs, extra):
    data = open(pdf, "rb").read()
    startxref, size, root = trailer_facts(data)
    objects = {}
    num = size
    refs = {"/CRLs": [], "/OCSPs": [], "/Certs": []}
    for key, files in (("/CRLs", crls), ("/OCSPs", ocsps), ("/Certs", certs)):
        for f in files:
            raw = zlib.compress(open(f, "rb").read())
            objects[num] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(raw) + raw + b"\nendstream"
            refs[key].append(num)
            num += 1
    entries = b"".join(b" %s [%s]" % (k.encode(), b" ".join(b"%d 0 R" % r for r in v)) for k, v in refs.items() if v)
    vri_key = b"0" * 40
    vri = b" /VRI << /%s << /CRL [%s] /OCSP [%s] >> >>" % (
        vri_key, b" ".join(b"%d 0 R" % r for r in refs["/CRLs"]), b" ".join(b"%d 0 R" % r for r in refs["/OCSPs"]))
    objects[num] = b"<< /Type /DSS" + entries + vri + b" >>"
    objects[root] = dict_with(last_object(data, root), b"/DSS", b"%d 0 R" % num)
    if extra == "page":
        page = first_page(data, root)
        objects[page] = dict_with(last_object(data, page), b"/Rotate", b"90")
    elif extra == "content":
        # The page's content stream replaced under its own number: the page object is untouched.
        page = first_page(data, root)
        content_num = int(re.search(rb"/Contents (\d+) 0 R", last_object(data, page)).group(1))
        text = b"BT /F1 24 Tf 72 720 Td (Deliberation 2026-042: REJECTED) Tj ET"
        objects[content_num] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    elif extra == "catalog":
        objects[root] = dict_with(objects[root], b"/OpenAction", b"[%d 0 R /Fit]" % first_page(data, root))
    open(dst, "wb").write(update(data, objects, size, root, startxref))


def main(argv):
    cmd = argv[1]
    if cmd == "placeholder":
        placeholder(*argv[2:])
    elif cmd == "embed":
        embed(*argv[2:5])
    elif cmd == "signature":
        _, _, si = load_cms(argv[2])
        open(argv[3], "wb").write(child(si, 0x04)[1])
    elif cmd == "signed-attrs":
        _, _, si = load_cms(argv[2])
        save([0x31, child(si, 0xA0)[1]], argv[3])
    elif cmd == "add-unsigned":
        root, _, si = load_cms(argv[2])
        unsigned = child(si, 0xA1)
        if unsigned is None:
            unsigned = [0xA1, []]
            si[1].append(unsigned)
        unsigned[1].append(attribute(argv[3], argv[4]))
        save(root, argv[5])
    elif cmd == "add-signed":
        root, _, si = load_cms(argv[2])
        attrs = child(si, 0xA0)
        attrs[1].append(attribute(argv[3], argv[4]))
        sort_set(attrs[1])
        save([0x31, attrs[1]], argv[5])
        save(root, argv[6])
    elif cmd == "set-signature":
        root, _, si = load_cms(argv[2])
        child(si, 0x04)[1] = open(argv[3], "rb").read()
        save(root, argv[4])
    elif cmd == "add-crl":
        root, sd, _ = load_cms(argv[2])
        crl = parse(open(argv[3], "rb").read())[0]
        crls = child(sd, 0xA1)
        if crls is None:
            crls = [0xA1, []]
            sd[1].insert(len(sd[1]) - 1, crls)
        crls[1].append(crl)
        save(root, argv[4])
    elif cmd == "revinfo":
        # RevocationInfoArchival ::= SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRL OPTIONAL,
        #                                       ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL }
        crls, ocsps = [], []
        args = argv[3:]
        for i in range(0, len(args), 2):
            (crls if args[i] == "--crl" else ocsps).append(parse(open(args[i + 1], "rb").read())[0])
        items = []
        if crls:
            items.append([0xA0, [[0x30, crls]]])
        if ocsps:
            items.append([0xA1, [[0x30, ocsps]]])
        save([0x30, items], argv[2])
    elif cmd == "dss":
        opts = {"--crl": [], "--ocsp": [], "--cert": []}
        extra = False
        args = argv[4:]
        i = 0
        while i < len(args):
            if args[i] == "--extra":
                extra = args[i + 1]
                i += 2
            else:
                opts[args[i]].append(args[i + 1])
                i += 2
        dss(argv[2], argv[3], opts["--crl"], opts["--ocsp"], opts["--cert"], extra)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
