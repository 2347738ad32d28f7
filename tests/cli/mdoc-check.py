#!/usr/bin/python3
"""mdoc-check.py - an independent check of an mso_mdoc credential, sharing
no code with vci-tools: python3-cbor2 decodes it, every IssuerSignedItem
digest is recomputed over its tag-24 bytes and compared with the MSO's
valueDigests, and the IssuerAuth COSE_Sign1 signature is verified with
python3-cryptography over the Sig_structure with the x5chain leaf's key.

usage: mdoc-check.py CREDENTIAL [--ca IACA.pem] [--jwk HOLDER.json]
CREDENTIAL is base64url (no padding) of the IssuerSigned, or a file
holding it. Prints {"docType", "digestAlgorithm", "nameSpaces": ...,
"validityInfo": ..., "msoKeys": [...], "itemKeys": [...]} as JSON; exits 1
with a message on any mismatch."""
import base64, datetime, hashlib, json, os, sys
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

def die(msg):
    print("mdoc-check: " + msg, file=sys.stderr)
    sys.exit(1)

def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

args = sys.argv[1:]
cred = args.pop(0)
ca = jwk = None
while args:
    opt = args.pop(0)
    if opt == "--ca":
        ca = args.pop(0)
    elif opt == "--jwk":
        jwk = json.load(open(args.pop(0)))
if os.path.exists(cred):
    cred = open(cred).read().strip()
if "=" in cred or "+" in cred or "/" in cred:
    die("credential is not base64url without padding")
raw = b64u(cred)
iss = cbor2.loads(raw)
if not isinstance(iss, dict) or set(iss) - {"nameSpaces", "issuerAuth"}:
    die("IssuerSigned must be a map of nameSpaces and issuerAuth")
auth = iss["issuerAuth"]
if not isinstance(auth, list) or len(auth) != 4:
    die("issuerAuth is not an untagged COSE_Sign1 array")
prot_b, unprot, payload, sig = auth
prot = cbor2.loads(prot_b)
alg = prot.get(1)
if 1 in unprot:
    die("alg in the unprotected header")
chain = unprot.get(33)
if chain is None:
    die("no x5chain (33)")
chain = [chain] if isinstance(chain, bytes) else chain
certs = [x509.load_der_x509_certificate(c) for c in chain]
leaf = certs[0].public_key()
tbs = cbor2.dumps(["Signature1", prot_b, b"", payload])
try:
    if alg in (-7, -35, -36):
        h = {-7: hashes.SHA256(), -35: hashes.SHA384(), -36: hashes.SHA512()}[alg]
        n = len(sig) // 2
        der = utils.encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
        leaf.verify(der, tbs, ec.ECDSA(h))
    elif alg == -8:
        leaf.verify(sig, tbs)
    else:
        die("unexpected alg %r" % alg)
except Exception as e:
    die("COSE signature does not verify: %r" % e)
if ca:
    root = x509.load_pem_x509_certificate(open(ca, "rb").read())
    issuer = certs[-1]
    try:
        if issuer.issuer != root.subject:
            raise ValueError("issuer name is not the CA's subject")
        root.public_key().verify(issuer.signature, issuer.tbs_certificate_bytes,
                                 ec.ECDSA(issuer.signature_hash_algorithm))
    except Exception as e:
        die("x5chain not issued by the CA: %r" % e)
    for c in certs:
        if c.subject == c.issuer and c != certs[0]:
            die("a self-signed root inside x5chain")
tag = cbor2.loads(payload)
if not isinstance(tag, cbor2.CBORTag) or tag.tag != 24:
    die("payload is not tag 24")
mso_bytes = tag.value
mso = cbor2.loads(mso_bytes)
if mso.get("version") != "1.0":
    die("MSO version")
halg = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}[mso["digestAlgorithm"]]
vi = mso["validityInfo"]
for k in ("signed", "validFrom", "validUntil"):
    v = vi[k]
    if isinstance(v, cbor2.CBORTag):
        die("validityInfo.%s left as a tag" % k)
    if not isinstance(v, datetime.datetime) or v.microsecond or v.utcoffset() != datetime.timedelta(0):
        die("validityInfo.%s is not a UTC date-time without fraction: %r" % (k, v))
if not vi["validFrom"] < vi["validUntil"]:
    die("validFrom not before validUntil")
dk = mso["deviceKeyInfo"]["deviceKey"]
if jwk is not None:
    if jwk["kty"] == "EC":
        want = {1: 2, -1: {"P-256": 1, "P-384": 2, "P-521": 3}[jwk["crv"]], -2: b64u(jwk["x"]), -3: b64u(jwk["y"])}
    else:
        want = {1: 1, -1: 6, -2: b64u(jwk["x"])}
    if dk != want:
        die("deviceKey %r is not the holder key %r" % (dk, want))
    if list(dk.keys()) != list(want.keys()):
        die("deviceKey labels not in the order 1, -1, -2, -3")
out = {}
item_keys = None
for ns, items in iss.get("nameSpaces", {}).items():
    digests = mso["valueDigests"][ns]
    seen = set()
    out[ns] = {}
    for it in items:
        if not isinstance(it, cbor2.CBORTag) or it.tag != 24:
            die("%s: item not tag 24" % ns)
        enc = cbor2.dumps(it)
        item = cbor2.loads(it.value)
        item_keys = list(item.keys())
        did = item["digestID"]
        if did in seen:
            die("%s: digestID %d twice" % (ns, did))
        seen.add(did)
        if len(item["random"]) < 16:
            die("random shorter than 16 bytes")
        if halg(enc).digest() != digests[did]:
            die("%s.%s: digest mismatch" % (ns, item["elementIdentifier"]))
        v = item["elementValue"]
        def js(v):
            if isinstance(v, bytes):
                return base64.urlsafe_b64encode(v).decode().rstrip("=")
            if isinstance(v, cbor2.CBORTag):
                return {"tag": v.tag, "value": js(v.value)}
            if isinstance(v, datetime.date):
                return {"tag": 1004 if not isinstance(v, datetime.datetime) else 0, "value": v.isoformat()}
            if isinstance(v, list):
                return [js(x) for x in v]
            if isinstance(v, dict):
                return {k: js(x) for k, x in v.items()}
            return v
        out[ns][item["elementIdentifier"]] = js(v)
print(json.dumps({"docType": mso["docType"], "digestAlgorithm": mso["digestAlgorithm"],
                  "alg": alg, "x5chain": len(certs), "msoKeys": list(mso.keys()),
                  "itemKeys": item_keys, "status": mso.get("status"),
                  "validityInfo": {k: vi[k].strftime("%Y-%m-%dT%H:%M:%SZ") for k in vi},
                  "nameSpaces": out}, sort_keys=False))
