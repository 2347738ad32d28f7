# sl-entry.py TOKEN-FILE CERT IDX URI: entry IDX of a Token Status List
# JWT (draft-ietf-oauth-status-list), checked by python3-jwcrypto, not by
# the toolkit: signature against CERT's public key, typ statuslist+jwt,
# sub URI, exp after iat when given. Prints "VALUE TTL" (TTL "-" when the
# token has none).
import base64, json, sys, zlib
from jwcrypto import jwk, jws
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser

tok, crt, idx, uri = open(sys.argv[1]).read().strip(), sys.argv[2], int(sys.argv[3]), sys.argv[4]
cert = x509.load_pem_x509_certificate(open(crt, "rb").read())
key = jwk.JWK.from_pem(cert.public_key().public_bytes(ser.Encoding.PEM,
                                                      ser.PublicFormat.SubjectPublicKeyInfo))
s = jws.JWS()
s.deserialize(tok)
s.verify(key)
assert s.jose_header["typ"] == "statuslist+jwt", s.jose_header
p = json.loads(s.payload)
assert p["sub"] == uri, p
assert "exp" not in p or p["exp"] > p["iat"], p
lst = p["status_list"]["lst"]
raw = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
bits = p["status_list"]["bits"]
print((raw[idx * bits // 8] >> ((idx * bits) % 8)) & ((1 << bits) - 1), p.get("ttl", "-"))
