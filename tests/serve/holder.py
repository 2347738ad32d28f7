#!/usr/bin/python3
"""holder.py - a wallet (holder) for the OID4VCI 1.0 pre-authorized code
flow, written from the specifications alone and sharing no code with
vci-tools: HTTP with http.client, keys and ES256 with python3-cryptography,
JWS verification with python3-jwcrypto, CBOR with python3-cbor2.

usage: holder.py OFFER [OPTION]...
       holder.py --check-spent LOG OFFER [OPTION]...

OFFER is a credential offer deep link (by value or by reference), an
https/http credential_offer_uri, a JSON offer object, @FILE holding one of
those, or - for standard input.

It resolves the offer, discovers the Credential Issuer Metadata (path
insertion rule) and the Authorization Server metadata, redeems the
pre-authorized code at the token endpoint (tx_code when asked for, DPoP
with its own P-256 key, server DPoP nonces), takes a c_nonce from the
nonce endpoint, asks for the credentials with one proof JWT per fresh key,
checks every credential (SD-JWT VC, W3C VC JWT, mdoc) and sends a
credential_accepted notification. It prints a JSON result on standard
output and exits 0; on any failure it prints "holder: what: why" on
standard error and exits 1 (2 for usage errors).

Options:
  --tx-code V          the transaction code (asked for by the offer)
  --dpop yes|no        send DPoP proofs (default yes)
  --batch N            N proofs in the credential request, N fresh keys
  --config ID          ask only for configuration ID of the offer
  --use-config-id      send credential_configuration_id even when the token
                       response gave credential_identifiers
  --ca FILE            PEM trust anchors the issuer's x5c chain must lead to
  --tls-ca FILE        PEM trust anchors for https connections (default: the
                       system's)
  --expect-status      every credential must carry a status list reference
  --no-notify          do not send the notification
  --timeout S          per-request timeout (default 60)
  --connect-to P1,P2,...  send each request for an http://127.0.0.1 URL to
                       the next of these ports in turn, as a load balancer
                       in front of several servers of one issuer would
  --spent-log FILE     append what this run spent (codes, c_nonces, DPoP
                       jti, status entries, notification ids) as JSON lines
  --save DIR           write each credential to DIR/N.<ext> and its holder
                       key (public JWK) to DIR/N.jwk
  --draft13            draft-13 shapes: singular proof, format + vct /
                       doctype / credential_definition, c_nonce from the
                       token response when it carries one
  --unknown-fields     add unknown parameters to every request (they must
                       be ignored)
  --neg MODE           a negative case (below); exit 0 when the server
                       answered exactly as the specification requires
  --wrong-tx-code N    (--neg wrong-tx-code) wrong codes sent first
  --tx-attempts N      (--neg wrong-tx-code) the server's cap (default 5)
  --second-offer OFFER (--neg dpop-replay-token) a second, fresh offer
  --wait S             (--neg expired-*) seconds to wait (default 3)
  --nonce VALUE        (--neg given-nonce) the c_nonce to send
  --deferred           the credential request must be answered 202 with a
                       transaction_id and interval (OpenID4VCI 1.0 section
                       8.3); the holder then polls the deferred credential
                       endpoint (section 9) until the credentials come,
                       checks them as above, and checks the transaction_id
                       is refused afterwards (invalid_transaction_id)
  --expect-denied      (--deferred) the poll must end in 400
                       credential_request_denied
  --poll S             (--deferred) seconds between polls (default: the
                       issuer's interval)
  --deferred-wait S    (--deferred) give up after S seconds (default 120);
                       connection errors while polling are retried (a
                       server restarting)
  --pending-file FILE  (--deferred) create FILE once the credential request
                       was answered 202 (a test then supplies the claims)

Encryption (OpenID4VCI 1.0 section 10):
  --encrypt ENC        ask for an encrypted credential response (enc A128GCM
                       or A256GCM, alg ECDH-ES to a fresh P-256 key of the
                       holder, kid set), and encrypt the request itself to
                       the issuer's credential_request_encryption key; the
                       response must be application/jwt and is decrypted
                       with jwcrypto
  --save-jwe DIR       write each encrypted response to DIR/N.jwe and the
                       holder's response key (private JWK) to DIR/key.jwk,
                       for a second, independent decryption
Key attestations (Appendix D): with --attester-key, every credential
request carries one key attestation (typ key-attestation+jwt, x5c from
--attester-cert, exp, the c_nonce, attested_keys = all the request's
keys): in the key_attestation header of each jwt proof, or as the one
value of an attestation proof (--proof-type attestation).
  --attester-key FILE  PEM private key of the key attester (P-256)
  --attester-cert FILE its certificate chain, leaf first (PEM)
  --key-storage LIST   key_storage levels stated, comma-separated
                       (default iso_18045_high)
  --user-auth LIST     user_authentication levels (default iso_18045_high)
  --proof-type T       jwt (default) or attestation

Authorization code flow (--flow auth-code): the offer's
authorization_code grant with its issuer_state; a pushed authorization
request (RFC 9126) with PKCE S256 (RFC 7636), the configurations' scope
values (or authorization_details when one has none), client
authentication by a wallet attestation the holder makes itself
(OAuth-Client-Attestation + -PoP headers: an attestation JWT signed by
--wallet-key with --wallet-cert as x5c, sub = --client-id, cnf = a fresh
instance key) and a DPoP proof binding the code; the authorization
endpoint must answer at once with a 302 to the redirect_uri carrying
code, state and iss (RFC 9207); then the code at the token endpoint with
code_verifier, redirect_uri, a fresh PoP and DPoP.
  --flow pre-auth|auth-code  which grant of the offer (default pre-auth)
  --flow wallet-init   no offer: OFFER is the issuer URL and --config
                       ID[,ID...] what to ask for; the pushed request has no
                       issuer_state, and the redirects of /authorize are
                       followed as a browser would (to the OpenID Provider,
                       which logs the user in at once, and back through the
                       issuer's callback) up to the wallet's redirect_uri;
                       the result's "oidc_callback" is the callback URL
                       the provider sent the browser to (state and code)
  --wallet-key FILE    PEM private key of the wallet provider's attestation
                       signer (auth-code; with pre-auth, the token request
                       carries the attestation too)
  --wallet-cert FILE   its certificate chain, leaf first (PEM), sent as x5c
  --client-id ID       the client_id (default https://wallet.example.org)
  --no-attestation     send no wallet attestation (public client)
  --refresh            after the credentials, renew the access with the
                       token response's refresh_token (rotated), get the
                       credentials again, and check a refresh with another
                       DPoP key and a replayed refresh token are refused
                       (the replay revoking the chain)
Negative modes of the authorization code flow (--flow auth-code):
  wa-bad-sig           attestation signature broken: PAR 401 invalid_client
  access-denied        the authorization must end at the redirect_uri with
                       error=access_denied (wallet-init: the OpenID
                       Provider refused, or its ID token failed a check)
  wa-bad-pop-sig       PoP signature broken: PAR 401 invalid_client
  wa-expired           attestation exp in the past: PAR 401 invalid_client
  wa-no-sub            attestation without sub: PAR 401 invalid_client
  wa-pop-aud           PoP aud another server: PAR 401 invalid_client
  wa-pop-key           PoP signed by a key other than cnf: PAR 401
                       invalid_client
  pkce-mismatch        a code_verifier not matching: token 400 invalid_grant
  reuse-code           the code redeemed twice: 400 invalid_grant
  reuse-request-uri    the request_uri used twice: 400 invalid_request
  redirect-mismatch    another redirect_uri at the token endpoint: 400
                       invalid_grant
The PAR refusals then complete the flow normally (the offer is not spent
by a refused PAR).

Negative modes (--neg):
  wrong-tx-code        N wrong tx_codes, each 400 invalid_grant; then the
                       right one: accepted when N < cap, 400 invalid_grant
                       (code dead) when N >= cap
  no-tx-code           tx_code missing where the offer asks: 400
                       invalid_request
  unexpected-tx-code   tx_code where the offer has none: 400 invalid_request
  replay-code          the code redeemed twice: 400 invalid_grant
  reuse-nonce          a c_nonce used for a second request: 400 invalid_nonce
  bad-nonce            a c_nonce the server never made: 400 invalid_nonce
  forged-nonce         a c_nonce of the server's with one character changed:
                       400 invalid_nonce
  given-nonce          the c_nonce given by --nonce (one another server
                       made): 400 invalid_nonce
  over-batch           batch_size + 1 proofs: 400 invalid_credential_request
                       (or invalid_proof)
  dup-key              two proofs of one key: 400 invalid_proof (or
                       invalid_credential_request)
  bad-proof-sig        a proof with a broken signature: 400 invalid_proof
  wrong-aud            a proof for another audience: 400 invalid_proof
  missing-proof        no proofs: 400 invalid_proof
  unknown-config       unknown credential_configuration_id: 400
                       unknown_credential_configuration
  unknown-identifier   unknown credential_identifier: 400
                       unknown_credential_identifier
  token-in-query       the access token in the query string only: refused
                       (401 with WWW-Authenticate, or 400 invalid_request)
  dpop-replay          a DPoP proof replayed at the credential endpoint: 401
                       WWW-Authenticate DPoP error="invalid_dpop_proof"
  dpop-replay-token    a DPoP proof replayed at the token endpoint for a
                       second offer: 400 invalid_dpop_proof
  bearer-token         no DPoP proof where the server requires DPoP: 400
                       invalid_dpop_proof (HAIP: or invalid_request)
  bearer-dpop-token    a DPoP-bound token presented as Bearer: 401
                       invalid_token
  bad-notification     an unknown notification_id: 400 invalid_notification_id
  expired-code         --wait S, then the token request: 400 invalid_grant
  expired-token        a token, --wait S, then a credential request: 401
                       invalid_token
  expired-nonce        a c_nonce, --wait S, then the credential request: 400
                       invalid_nonce
  notify-repeat        credential_accepted sent twice: 2xx both times
  bad-event            an unknown event: 400 invalid_notification_request
  no-wallet-attestation  a token request without OAuth-Client-Attestation
                       where the configuration requires one: 400 or 401
                       invalid_client
  no-key-attestation   a proof without key_attestation where the metadata
                       requires one (key_attestations_required): 400
                       invalid_proof
  enc-unsupported      credential_response_encryption with enc A128CBC-HS256:
                       400 invalid_encryption_parameters
  enc-plain-request    an encrypted response asked for in a request that is
                       not encrypted: 400 invalid_encryption_parameters
  key-attestation-refused  the credential request with the key attestation
                       the options make (none, an untrusted attester, levels
                       the configuration does not accept): 400 invalid_proof,
                       no credential
Each mode except the token-endpoint ones ends by completing the flow
normally, to show the server keeps serving.

--check-spent LOG replays every code and c_nonce logged by earlier runs
(--spent-log): each code must get 400 invalid_grant, each c_nonce 400
invalid_nonce (under a token from OFFER); the logged status entries must
all be distinct. Prints {"codes": N, "c_nonces": N, "status": N}.
"""
import base64
import hashlib
import http.client
import json
import os
import secrets
import ssl
import sys
import time
import urllib.parse
import zlib

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

PRE_AUTH = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class Fail(Exception):
	pass


def die(msg):
	raise Fail(msg)


def b64u(data):
	return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_dec(s):
	if not isinstance(s, str) or any(c in s for c in "=+/ \n"):
		die("not base64url without padding: %r" % (s[:40] if isinstance(s, str) else s))
	return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jdump(obj):
	return json.dumps(obj, separators=(",", ":"))


# ---------------------------------------------------------------- keys, JWS

class Key:
	"""A P-256 key pair with its public JWK and RFC 7638 thumbprint."""

	def __init__(self):
		self.priv = ec.generate_private_key(ec.SECP256R1())
		nums = self.priv.public_key().public_numbers()
		self.jwk = {"kty": "EC", "crv": "P-256",
			    "x": b64u(nums.x.to_bytes(32, "big")),
			    "y": b64u(nums.y.to_bytes(32, "big"))}
		self.jkt = thumbprint(self.jwk)


def thumbprint(jwk):
	if jwk.get("kty") != "EC":
		die("holder key binding: key type %r, expected EC" % jwk.get("kty"))
	members = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
	text = json.dumps(members, separators=(",", ":"), sort_keys=True)
	return b64u(hashlib.sha256(text.encode()).digest())


def sign_jwt(key, header, payload):
	h = b64u(jdump(header).encode())
	p = b64u(jdump(payload).encode())
	der = key.priv.sign((h + "." + p).encode(), ec.ECDSA(hashes.SHA256()))
	r, s = utils.decode_dss_signature(der)
	return h + "." + p + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def jwt_parts(token, what):
	parts = token.split(".")
	if len(parts) != 3:
		die("%s: not a compact JWS (%d parts)" % (what, len(parts)))
	try:
		header = json.loads(b64u_dec(parts[0]))
		payload = json.loads(b64u_dec(parts[1]))
	except (ValueError, Fail) as e:
		die("%s: header or payload does not decode: %s" % (what, e))
	if not isinstance(header, dict) or not isinstance(payload, dict):
		die("%s: header or payload is not a JSON object" % what)
	return header, payload


def jws_verify(token, pubkey_pem, what, algs=("ES256",)):
	"""Verify a compact JWS with jwcrypto, with a PEM public key."""
	header, _ = jwt_parts(token, what)
	if header.get("alg") not in algs:
		die("%s: alg %r, expected one of %s" % (what, header.get("alg"), list(algs)))
	k = jwcrypto_jwk.JWK.from_pem(pubkey_pem)
	obj = jwcrypto_jws.JWS()
	try:
		obj.deserialize(token)
		obj.verify(k, alg=header["alg"])
	except Exception as e:
		die("%s: signature does not verify: %s" % (what, e))


def pem_of_jwk(jwk):
	return jwcrypto_jwk.JWK(**jwk).export_to_pem()


def pem_of_cert(cert):
	return cert.public_key().public_bytes(serialization.Encoding.PEM,
		serialization.PublicFormat.SubjectPublicKeyInfo)


def jwk_of_pub(pub):
	nums = pub.public_numbers()
	size = (pub.curve.key_size + 7) // 8
	crv = {256: "P-256", 384: "P-384", 521: "P-521"}[pub.curve.key_size]
	return {"kty": "EC", "crv": crv, "x": b64u(nums.x.to_bytes(size, "big")),
		"y": b64u(nums.y.to_bytes(size, "big"))}


def load_anchors(path):
	data = open(path, "rb").read()
	certs = []
	marker = b"-----END CERTIFICATE-----"
	for chunk in data.split(marker)[:-1]:
		certs.append(x509.load_pem_x509_certificate(chunk + marker))
	if not certs:
		die("--ca %s: no certificate" % path)
	return certs


def signed_by(cert, issuer):
	if cert.issuer != issuer.subject:
		return False
	try:
		issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
			ec.ECDSA(cert.signature_hash_algorithm))
	except Exception:
		return False
	return True


def check_chain(chain, anchors, what):
	"""chain: leaf first. Each certificate signed by the next; the last
	is an anchor or signed by one."""
	now = time.time()
	for c in chain:
		nb = c.not_valid_before.timestamp() if hasattr(c.not_valid_before, "timestamp") else 0
		na = c.not_valid_after.timestamp()
		if now < nb - 86400 or now > na + 86400:
			die("%s: certificate %s outside its validity" % (what, c.subject.rfc4514_string()))
	for a, b in zip(chain, chain[1:]):
		if not signed_by(a, b):
			die("%s: x5c chain broken at %s" % (what, a.subject.rfc4514_string()))
	last = chain[-1]
	for anchor in anchors:
		if last.fingerprint(hashes.SHA256()) == anchor.fingerprint(hashes.SHA256()):
			return
		if signed_by(last, anchor):
			return
	die("%s: x5c chain does not lead to a trust anchor of --ca" % what)


# ---------------------------------------------------------------- HTTP

class Response:
	def __init__(self, status, headers, body):
		self.status = status
		self.headers = headers
		self.body = body

	def header(self, name):
		vals = [v for k, v in self.headers if k.lower() == name.lower()]
		return vals[0] if vals else None

	def headers_named(self, name):
		return [v for k, v in self.headers if k.lower() == name.lower()]

	def json(self, what):
		ct = (self.header("Content-Type") or "").split(";")[0].strip().lower()
		if ct != "application/json":
			die("%s: Content-Type %r, expected application/json (status %d)" %
			    (what, ct, self.status))
		try:
			doc = json.loads(self.body)
		except ValueError as e:
			die("%s: body is not JSON: %s" % (what, e))
		return doc


class Http:
	def __init__(self, timeout, tls_ca=None, connect_to=None):
		self.timeout = timeout
		self.tls = ssl.create_default_context(cafile=tls_ca)
		self.ports = [int(p) for p in connect_to.split(",")] if connect_to else []
		self.turn = 0

	def request(self, method, url, body=None, headers=None):
		u = urllib.parse.urlsplit(url)
		if self.ports and u.scheme == "http" and u.hostname in ("127.0.0.1", "localhost"):
			# a load balancer: each request to the next host in turn
			port = self.ports[self.turn % len(self.ports)]
			self.turn += 1
			u = u._replace(netloc="%s:%d" % (u.hostname, port))
		if u.scheme == "https":
			conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=self.timeout,
							   context=self.tls)
		elif u.scheme == "http":
			if u.hostname not in ("127.0.0.1", "localhost", "::1"):
				die("refusing plain http to %s (loopback only)" % u.hostname)
			conn = http.client.HTTPConnection(u.hostname, u.port, timeout=self.timeout)
		else:
			die("unsupported URL scheme in %s" % url)
		target = (u.path or "/") + ("?" + u.query if u.query else "")
		if isinstance(body, str):
			body = body.encode()
		try:
			conn.request(method, target, body=body, headers=headers or {})
			r = conn.getresponse()
			data = r.read()
			resp = Response(r.status, r.getheaders(), data)
		except (OSError, http.client.HTTPException) as e:
			die("%s %s: %s" % (method, url, e))
		finally:
			conn.close()
		return resp


# ---------------------------------------------------------------- offer

def read_offer_arg(arg):
	if arg == "-":
		return sys.stdin.read().strip()
	if arg.startswith("@"):
		return open(arg[1:]).read().strip()
	return arg.strip()


def resolve_offer(text, http_):
	"""Returns (offer object, how: value|reference|json)."""
	if text.startswith("{"):
		try:
			return json.loads(text), "json"
		except ValueError as e:
			die("offer: not JSON: %s" % e)
	u = urllib.parse.urlsplit(text)
	if u.scheme in ("http", "https") and "credential_offer" not in u.query:
		uri = text
	else:
		q = urllib.parse.parse_qs(u.query, keep_blank_values=True, strict_parsing=True)
		keys = [k for k in q if k in ("credential_offer", "credential_offer_uri")]
		if len(keys) != 1:
			die("offer link: exactly one of credential_offer / credential_offer_uri "
			    "expected, got %s" % sorted(q))
		if len(q[keys[0]]) != 1:
			die("offer link: %s repeated" % keys[0])
		if keys[0] == "credential_offer":
			try:
				return json.loads(q["credential_offer"][0]), "value"
			except ValueError as e:
				die("offer link: credential_offer is not JSON: %s" % e)
		uri = q["credential_offer_uri"][0]
	r = http_.request("GET", uri, headers={"Accept": "application/json"})
	if r.status != 200:
		die("offer by reference: GET %s: status %d" % (uri, r.status))
	return r.json("offer by reference"), "reference"


def check_offer(offer, flow="pre-auth"):
	if not isinstance(offer, dict):
		die("offer: not an object")
	iss = offer.get("credential_issuer")
	if not isinstance(iss, str) or not iss:
		die("offer: credential_issuer missing")
	ids = offer.get("credential_configuration_ids")
	if not isinstance(ids, list) or not ids or len(set(ids)) != len(ids) or \
	   not all(isinstance(i, str) for i in ids):
		die("offer: credential_configuration_ids must be a non-empty array of unique strings")
	if flow == "auth-code":
		grant = (offer.get("grants") or {}).get("authorization_code")
		if not isinstance(grant, dict) or not isinstance(grant.get("issuer_state"), str):
			die("offer: no authorization_code grant with an issuer_state")
		return iss, ids, grant
	grant = (offer.get("grants") or {}).get(PRE_AUTH)
	if not isinstance(grant, dict) or not isinstance(grant.get("pre-authorized_code"), str):
		die("offer: no pre-authorized_code grant")
	tx = grant.get("tx_code")
	if tx is not None:
		if not isinstance(tx, dict):
			die("offer: tx_code is not an object")
		if tx.get("input_mode", "numeric") not in ("numeric", "text"):
			die("offer: tx_code.input_mode %r" % tx.get("input_mode"))
		if "description" in tx and len(tx["description"]) > 300:
			die("offer: tx_code.description over 300 characters")
	return iss, ids, grant


def well_known(issuer, suffix):
	u = urllib.parse.urlsplit(issuer)
	path = u.path.rstrip("/")
	return "%s://%s/.well-known/%s%s" % (u.scheme, u.netloc, suffix, path)


# ---------------------------------------------------------------- holder

ALLOWED = {
	"token": {"access_token", "token_type", "expires_in", "refresh_token", "scope",
		  "authorization_details", "c_nonce", "c_nonce_expires_in"},
	"nonce": {"c_nonce"},
	"credential": {"credentials", "notification_id", "transaction_id", "interval",
		       "credential", "c_nonce", "c_nonce_expires_in"},
	"error": {"error", "error_description", "error_uri", "c_nonce", "c_nonce_expires_in"},
}


def known_members(doc, kind, what):
	extra = set(doc) - ALLOWED[kind]
	if extra:
		die("%s: unknown members in the response: %s" % (what, sorted(extra)))


class Attester:
	"""A key attester (OID4VCI Appendix D.1): the wallet's secure area
	vouching for its keys, signing with a certificate chain given as x5c."""

	def __init__(self, o):
		self.key = serialization.load_pem_private_key(open(o["attester_key"], "rb").read(),
							      password=None)
		data = open(o["attester_cert"], "rb").read()
		marker = b"-----END CERTIFICATE-----"
		certs = [x509.load_pem_x509_certificate(c + marker) for c in data.split(marker)[:-1]]
		self.x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
			    for c in certs]
		self.key_storage = [v for v in o["key_storage"].split(",") if v]
		self.user_auth = [v for v in o["user_auth"].split(",") if v]

	def attestation(self, keys, nonce):
		now = int(time.time())
		claims = {"iat": now, "exp": now + 600, "attested_keys": [k.jwk for k in keys]}
		if nonce is not None:
			claims["nonce"] = nonce
		if self.key_storage:
			claims["key_storage"] = self.key_storage
		if self.user_auth:
			claims["user_authentication"] = self.user_auth
		hdr = {"typ": "key-attestation+jwt", "alg": "ES256", "x5c": self.x5c}
		h = b64u(jdump(hdr).encode())
		p = b64u(jdump(claims).encode())
		der = self.key.sign((h + "." + p).encode(), ec.ECDSA(hashes.SHA256()))
		r, s_ = utils.decode_dss_signature(der)
		return h + "." + p + "." + b64u(r.to_bytes(32, "big") + s_.to_bytes(32, "big"))


class Holder:
	def __init__(self, opts):
		self.o = opts
		self.http = Http(opts["timeout"], opts.get("tls_ca"), opts.get("connect_to"))
		self.dpop_key = Key() if opts["dpop"] else None
		self.dpop_nonce = None
		self.checks = []
		self.result = {"credentials": [], "checks": self.checks}
		self.spent = {"codes": [], "c_nonces": [], "dpop_jti": [], "status": [],
			      "notification_ids": []}
		self.anchors = load_anchors(opts["ca"]) if opts.get("ca") else None
		self.wallet = Wallet(opts) if opts.get("flow") in AUTH_FLOWS or \
			opts.get("wallet_key") else None
		self.jwt_vc_issuer = None
		self.enc_key = None
		self.attester = Attester(opts) if opts.get("attester_key") else None

	def ok(self, what):
		self.checks.append(what)

	def log_spent(self, rec):
		if not self.o.get("spent_log"):
			return
		with open(self.o["spent_log"], "a") as f:
			f.write(jdump(rec) + "\n")
			f.flush()
			os.fsync(f.fileno())

	# -- discovery
	def discover(self, offer_text):
		if self.o["flow"] == "wallet-init":
			# no offer: the wallet knows the issuer and what it wants
			self.issuer, self.grant = offer_text, {}
			self.offered = (self.o.get("config") or "").split(",")
			self.offer = None
		else:
			offer, how = resolve_offer(offer_text, self.http)
			self.offer = offer
			self.result["offer_by"] = how
			self.issuer, self.offered, self.grant = check_offer(offer, self.o["flow"])
			self.ok("offer")
		tx = self.grant.get("tx_code")
		given = self.o.get("tx_code")
		if tx is not None and given is not None:
			if "length" in tx and tx["length"] != len(given):
				die("offer: tx_code.length %r but the code has %d characters" %
				    (tx["length"], len(given)))
			if tx.get("input_mode", "numeric") == "numeric" and not given.isdigit():
				die("offer: tx_code input_mode numeric but the code is not digits")
		url = well_known(self.issuer, "openid-credential-issuer")
		r = self.http.request("GET", url, headers={"Accept": "application/json"})
		if r.status != 200:
			die("issuer metadata: GET %s: status %d" % (url, r.status))
		md = r.json("issuer metadata")
		if md.get("credential_issuer") != self.issuer:
			die("issuer metadata: credential_issuer %r differs from the offer's %r" %
			    (md.get("credential_issuer"), self.issuer))
		for k in ("credential_endpoint", "credential_configurations_supported"):
			if k not in md:
				die("issuer metadata: %s missing" % k)
		for cid in self.offered:
			if cid not in md["credential_configurations_supported"]:
				die("issuer metadata: offered configuration %r not supported" % cid)
		self.md = md
		self.ok("issuer metadata")
		as_id = (md.get("authorization_servers") or [self.issuer])[0]
		if self.grant.get("authorization_server"):
			as_id = self.grant["authorization_server"]
		url = well_known(as_id, "oauth-authorization-server")
		r = self.http.request("GET", url, headers={"Accept": "application/json"})
		if r.status != 200:
			die("AS metadata: GET %s: status %d" % (url, r.status))
		asmd = r.json("AS metadata")
		if asmd.get("issuer") != as_id:
			die("AS metadata: issuer %r, expected %r" % (asmd.get("issuer"), as_id))
		if not isinstance(asmd.get("token_endpoint"), str):
			die("AS metadata: token_endpoint missing")
		gts = asmd.get("grant_types_supported")
		want_gt = "authorization_code" if self.o["flow"] in AUTH_FLOWS else PRE_AUTH
		if gts is not None and want_gt not in gts:
			die("AS metadata: grant_types_supported lacks %s" % want_gt)
		if self.o["flow"] in AUTH_FLOWS:
			check_as_auth_code(asmd)
		self.asmd = asmd
		self.ok("AS metadata")
		if self.o["dpop"] and "ES256" not in asmd.get("dpop_signing_alg_values_supported", []):
			die("AS metadata: dpop_signing_alg_values_supported lacks ES256")

	# -- DPoP
	def dpop_proof(self, method, url, token=None, nonce=None, jti=None):
		u = urllib.parse.urlsplit(url)
		htu = urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, "", ""))
		claims = {"jti": jti or b64u(secrets.token_bytes(16)), "htm": method,
			  "htu": htu, "iat": int(time.time())}
		if token is not None:
			claims["ath"] = b64u(hashlib.sha256(token.encode()).digest())
		n = nonce if nonce is not None else self.dpop_nonce
		if n is not None:
			claims["nonce"] = n
		self.last_dpop_jti = claims["jti"]
		self.spent["dpop_jti"].append(claims["jti"])
		return sign_jwt(self.dpop_key, {"typ": "dpop+jwt", "alg": "ES256",
						"jwk": self.dpop_key.jwk}, claims)

	def note_dpop_nonce(self, r):
		vals = r.headers_named("DPoP-Nonce")
		if len(vals) > 1:
			die("more than one DPoP-Nonce header")
		if vals:
			self.dpop_nonce = vals[0]

	# -- token
	def token_form(self, code=None, tx_code=None, with_tx=True):
		form = {"grant_type": PRE_AUTH,
			"pre-authorized_code": code or self.grant["pre-authorized_code"]}
		if with_tx:
			tx = tx_code if tx_code is not None else self.o.get("tx_code")
			if tx is not None:
				form["tx_code"] = tx
		if self.o["unknown_fields"]:
			form["x_unknown_param"] = "ignored"
			form["client_assertion_extra"] = "1"
		return form

	def post_token(self, form, dpop=True, proof=None):
		"""POST the token request; retries use_dpop_nonce. Returns Response."""
		url = self.asmd["token_endpoint"]
		body = urllib.parse.urlencode(form)
		for attempt in range(3):
			headers = {"Content-Type": "application/x-www-form-urlencoded",
				   "Accept": "application/json"}
			if self.o["flow"] in AUTH_FLOWS or self.wallet is not None:
				headers.update(self.client_auth_headers())
			if dpop and self.dpop_key is not None:
				headers["DPoP"] = proof or self.dpop_proof("POST", url)
				self.last_token_dpop = headers["DPoP"]
			r = self.http.request("POST", url, body=body, headers=headers)
			self.note_dpop_nonce(r)
			if r.status == 400 and proof is None and dpop and self.dpop_key is not None:
				doc = r.json("token error")
				if doc.get("error") == "use_dpop_nonce":
					if not r.header("DPoP-Nonce"):
						die("token: use_dpop_nonce without a DPoP-Nonce header")
					self.ok("token: use_dpop_nonce answered")
					self.result["dpop_nonce_retries"] = self.result.get(
						"dpop_nonce_retries", 0) + 1
					continue
			return r
		die("token: use_dpop_nonce three times in a row")

	def token(self, form=None, dpop=True):
		r = self.post_token(form or self.token_form(), dpop=dpop)
		if r.status != 200:
			self.fail_response("token", r)
		doc = r.json("token response")
		known_members(doc, "token", "token response")
		if "no-store" not in (r.header("Cache-Control") or ""):
			die("token response: Cache-Control no-store missing")
		if not isinstance(doc.get("access_token"), str) or not doc["access_token"]:
			die("token response: access_token missing")
		want = "dpop" if (dpop and self.dpop_key is not None) else "bearer"
		if str(doc.get("token_type", "")).lower() != want:
			die("token response: token_type %r, expected %s" % (doc.get("token_type"), want))
		if not isinstance(doc.get("expires_in"), int) or doc["expires_in"] <= 0:
			die("token response: expires_in %r" % doc.get("expires_in"))
		self.identifiers = {}
		for ad in doc.get("authorization_details") or []:
			if ad.get("type") != "openid_credential":
				die("token response: authorization_details type %r" % ad.get("type"))
			ids = ad.get("credential_identifiers")
			if not isinstance(ids, list) or not ids:
				die("token response: credential_identifiers must be a non-empty array")
			cid = ad.get("credential_configuration_id")
			if cid not in self.offered:
				die("token response: authorization_details for %r, not offered" % cid)
			self.identifiers[cid] = ids
		self.access_token = doc["access_token"]
		rt = doc.get("refresh_token")
		if rt is not None and (not isinstance(rt, str) or not rt):
			die("token response: refresh_token %r" % rt)
		self.refresh_token = rt
		self.result["refresh_token_issued"] = rt is not None
		if rt is not None:
			self.result["refresh_token"] = rt
		self.token_type = "DPoP" if want == "dpop" else "Bearer"
		self.token_c_nonce = doc.get("c_nonce")
		self.ok("token (%s)" % self.token_type)
		if self.o["flow"] == "pre-auth" and (form or {}).get("grant_type") != "refresh_token":
			self.spent["codes"].append(self.grant["pre-authorized_code"])
			self.log_spent({"code": self.grant["pre-authorized_code"],
					"tx_code": self.o.get("tx_code")})
		return doc

	def fail_response(self, what, r):
		try:
			detail = r.body.decode("utf-8", "replace")[:300]
		except Exception:
			detail = repr(r.body[:300])
		die("%s: status %d: %s" % (what, r.status, detail))

	def expect_error(self, what, r, status, errors, www_scheme=None):
		"""Check an error answer: exact status, error code in errors."""
		statuses = status if isinstance(status, tuple) else (status,)
		if r.status not in statuses:
			self.fail_response("%s: expected %s %s, got" %
					   (what, "|".join(map(str, statuses)), "|".join(errors)), r)
		status = r.status
		got = None
		ct = (r.header("Content-Type") or "").split(";")[0].strip().lower()
		if r.body and (status != 401 or ct == "application/json"):
			doc = r.json(what)
			known_members(doc, "error", what)
			got = doc.get("error")
			desc = doc.get("error_description")
			if desc is not None and not all(0x20 <= ord(c) <= 0x7e and c not in '"\\' for c in desc):
				die("%s: error_description outside the allowed ASCII set" % what)
		if what.startswith("token") and "no-store" not in (r.header("Cache-Control") or ""):
			die("%s: token error response without Cache-Control: no-store" % what)
		if status == 401 and got == "invalid_client" and not r.headers_named("WWW-Authenticate"):
			# RFC 6749 section 5.2: WWW-Authenticate only when the client
			# authenticated with the Authorization header (attestation-based
			# client authentication uses headers of its own)
			pass
		elif status == 401:
			wa = r.headers_named("WWW-Authenticate")
			if not wa:
				die("%s: 401 without WWW-Authenticate" % what)
			scheme = wa[0].split(" ")[0]
			if www_scheme and scheme.lower() != www_scheme.lower():
				die("%s: WWW-Authenticate scheme %r, expected %s" % (what, scheme, www_scheme))
			params = parse_auth_params(wa[0])
			if got is None:
				got = params.get("error")
			elif params.get("error") not in (None, got):
				die("%s: WWW-Authenticate error %r differs from the body's %r" %
				    (what, params.get("error"), got))
		if got not in errors:
			die("%s: error %r, expected %s" % (what, got, " or ".join(map(str, errors))))
		self.ok("%s: %d %s" % (what, r.status, got))
		return got

	# -- nonce
	def c_nonce(self):
		url = self.md.get("nonce_endpoint")
		if not url:
			die("issuer metadata: nonce_endpoint missing while proofs are required")
		r = self.http.request("POST", url, body=b"", headers={"Accept": "application/json"})
		self.note_dpop_nonce(r)
		if r.status != 200:
			self.fail_response("nonce", r)
		doc = r.json("nonce response")
		known_members(doc, "nonce", "nonce response")
		if "no-store" not in (r.header("Cache-Control") or ""):
			die("nonce response: Cache-Control no-store missing")
		n = doc.get("c_nonce")
		if not isinstance(n, str) or not n:
			die("nonce response: c_nonce missing")
		self.ok("nonce")
		return n

	# -- credential
	def proof(self, key, nonce, aud=None, key_attestation=None):
		claims = {"aud": aud or self.issuer, "iat": int(time.time())}
		if nonce is not None:
			claims["nonce"] = nonce
		hdr = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": key.jwk}
		if key_attestation:
			hdr["key_attestation"] = key_attestation
		return sign_jwt(key, hdr, claims)

	def request_body(self, cid, proofs, use_identifier=True):
		cfg = self.md["credential_configurations_supported"][cid]
		body = {}
		if self.o["draft13"]:
			body["format"] = cfg["format"]
			for k in ("vct", "doctype", "credential_definition"):
				if k in cfg:
					body[k] = cfg[k]
			if proofs:
				body["proof"] = {"proof_type": "jwt", "jwt": proofs[0]}
		else:
			ids = self.identifiers.get(cid)
			if ids and use_identifier and not self.o["use_config_id"]:
				body["credential_identifier"] = ids[0]
			else:
				body["credential_configuration_id"] = cid
			if proofs is not None:
				body["proofs"] = {self.o["proof_type"]: proofs}
		if self.o["unknown_fields"]:
			body["x_unknown_member"] = {"nested": [1, 2, 3]}
			body["wallet_hint"] = "ignored"
		return body

	def proofs_for(self, keys, nonce):
		"""The proofs of one request: jwt proofs (with the key attestation
		in their header when there is an attester), or one attestation
		proof covering every key (--proof-type attestation)."""
		att = self.attester.attestation(keys, nonce) if self.attester else None
		if self.o["proof_type"] == "attestation":
			if not att:
				die("--proof-type attestation needs --attester-key")
			return [att]
		return [self.proof(k, nonce, key_attestation=att) for k in keys]

	# -- encryption (OpenID4VCI 1.0 section 10)
	def encode_request(self, body):
		"""The request body and its Content-Type: JSON, or with --encrypt
		the credential_response_encryption member added and the JSON
		encrypted to the issuer's credential_request_encryption key."""
		enc = self.o.get("encrypt")
		if not enc:
			return jdump(body), "application/json"
		if self.enc_key is None:
			self.enc_key = jwcrypto_jwk.JWK.generate(kty="EC", crv="P-256")
			self.enc_kid = b64u(secrets.token_bytes(8))
		body = dict(body)
		if "credential_response_encryption" not in body:
			pub = json.loads(self.enc_key.export_public())
			pub.update({"alg": "ECDH-ES", "use": "enc", "kid": self.enc_kid})
			body["credential_response_encryption"] = {"jwk": pub, "enc": enc}
		self.asked_enc = body["credential_response_encryption"].get("enc")
		cre = self.md.get("credential_request_encryption")
		if not cre or getattr(self, "force_plain", False):
			return jdump(body), "application/json"
		keys = cre.get("jwks", {}).get("keys") if isinstance(cre.get("jwks"), dict) else cre.get("jwks")
		if not isinstance(keys, list) or not keys:
			die("issuer metadata: credential_request_encryption.jwks has no key")
		k = keys[0]
		if not isinstance(k.get("kid"), str):
			die("issuer metadata: credential_request_encryption key without kid")
		renc = enc if enc in cre.get("enc_values_supported", []) else \
			(cre.get("enc_values_supported") or ["A128GCM"])[0]
		hdr = {"alg": k.get("alg", "ECDH-ES"), "enc": renc, "kid": k["kid"]}
		e = jwcrypto_jwe.JWE(jdump(body).encode(), jdump(hdr))
		e.add_recipient(jwcrypto_jwk.JWK(**k))
		self.ok("credential request encrypted (%s, %s)" % (hdr["alg"], renc))
		return e.serialize(compact=True), "application/jwt"

	def decode_response(self, r, body):
		"""With --encrypt, a 200 or 202 answer must be a JWE to our key;
		errors are never encrypted (section 8.3.1.2). Returns the answer
		with the decrypted JSON as its body."""
		if not self.o.get("encrypt") or r.status not in (200, 202):
			return r
		ct = (r.header("Content-Type") or "").split(";")[0].strip().lower()
		if ct != "application/jwt":
			die("credential: encrypted response asked for, got Content-Type %r" % ct)
		tok = r.body.decode() if isinstance(r.body, bytes) else r.body
		e = jwcrypto_jwe.JWE()
		try:
			e.deserialize(tok.strip(), key=self.enc_key)
		except Exception as ex:
			die("credential: the encrypted response does not decrypt: %s" % ex)
		h = json.loads(e.objects["protected"])
		if h.get("alg") != "ECDH-ES" or h.get("enc") != self.asked_enc:
			die("credential: JWE header %r, expected ECDH-ES and %s" % (h, self.asked_enc))
		if h.get("kid") != self.enc_kid:
			die("credential: JWE kid %r is not our key's %r" % (h.get("kid"), self.enc_kid))
		self.ok("credential response%s decrypted (ECDH-ES, %s)" %
			(" (202)" if r.status == 202 else "", h["enc"]))
		if self.o.get("save_jwe"):
			d = self.o["save_jwe"]
			os.makedirs(d, exist_ok=True)
			n = len([f for f in os.listdir(d) if f.endswith(".jwe")])
			with open(os.path.join(d, "%d.jwe" % n), "w") as f:
				f.write(tok.strip())
			with open(os.path.join(d, "key.jwk"), "w") as f:
				f.write(self.enc_key.export_private())
		headers = [(k, v) for k, v in r.headers if k.lower() != "content-type"]
		headers.append(("Content-Type", "application/json"))
		return Response(r.status, headers, e.payload)

	def post_credential(self, body, token=None, scheme=None, dpop_proof=None,
			    query_token=False):
		url = self.md["credential_endpoint"]
		token = token or self.access_token
		scheme = scheme or self.token_type
		for attempt in range(3):
			headers = {"Content-Type": "application/json", "Accept": "application/json"}
			target = url
			if query_token:
				sep = "&" if "?" in url else "?"
				target = url + sep + urllib.parse.urlencode({"access_token": token})
			else:
				headers["Authorization"] = "%s %s" % (scheme, token)
				if scheme == "DPoP":
					headers["DPoP"] = dpop_proof or self.dpop_proof("POST", url, token)
					self.last_cred_dpop = headers["DPoP"]
			payload, ctype = self.encode_request(body)
			headers["Content-Type"] = ctype
			r = self.http.request("POST", target, body=payload, headers=headers)
			r = self.decode_response(r, body)
			self.note_dpop_nonce(r)
			if r.status == 401 and scheme == "DPoP" and dpop_proof is None and not query_token:
				params = parse_auth_params((r.headers_named("WWW-Authenticate") or [""])[0])
				if params.get("error") == "use_dpop_nonce":
					if not r.header("DPoP-Nonce"):
						die("credential: use_dpop_nonce without a DPoP-Nonce header")
					self.ok("credential: use_dpop_nonce answered")
					continue
			return r
		die("credential: use_dpop_nonce three times in a row")

	def credential(self, cid, nkeys, nonce=None):
		"""A full credential request for configuration cid with nkeys
		proofs; checks the response and every credential."""
		if nonce is None:
			if self.o["draft13"] and self.token_c_nonce and not getattr(self, "used_token_nonce", False):
				nonce = self.token_c_nonce
				self.used_token_nonce = True
			else:
				nonce = self.c_nonce()
		keys = [Key() for _ in range(nkeys)]
		proofs = self.proofs_for(keys, nonce)
		body = self.request_body(cid, proofs)
		r = self.post_credential(body)
		if self.o["deferred"]:
			r = self.deferred(r)
			if r is None:
				return {}, []
		if r.status != 200:
			self.fail_response("credential (%s)" % cid, r)
		self.spent["c_nonces"].append(nonce)
		doc = r.json("credential response")
		known_members(doc, "credential", "credential response")
		creds = doc.get("credentials")
		if not isinstance(creds, list) or not creds:
			die("credential response: credentials missing (status %d)" % r.status)
		if len(creds) != len(keys):
			die("credential response: %d credentials for %d proofs" % (len(creds), len(keys)))
		if not all(isinstance(c, dict) and "credential" in c for c in creds):
			die("credential response: elements must be objects with credential")
		if self.o["draft13"]:
			if doc.get("credential") != creds[0]["credential"]:
				die("credential response: draft-13 request without the singular credential")
			self.ok("credential: draft-13 credential member")
		elif "credential" in doc:
			die("credential response: singular credential in an answer to a 1.0 request")
		cfg = self.md["credential_configurations_supported"][cid]
		remaining = {k.jkt: k for k in keys}
		received = []
		for c in creds:
			info = self.check_credential(cfg, cid, c["credential"], remaining)
			received.append(info)
		if remaining:
			die("credential response: no credential for %d of the proven keys" % len(remaining))
		nid = doc.get("notification_id")
		self.log_spent({"c_nonce": nonce, "config": cid,
				"of_code": self.grant.get("pre-authorized_code"),
				"status": [i.get("status") for i in received],
				"notification_id": nid})
		self.result["credentials"].extend(received)
		self.ok("credential %s: %d credential(s) checked" % (cid, len(received)))
		if self.o["save"]:
			for info, c, in zip(received, creds):
				self.save(info, c["credential"])
		return doc, received

	# -- deferred issuance (OpenID4VCI 1.0 sections 8.3 and 9)
	def post_deferred(self, tx, retry_conn):
		"""POST the transaction_id; None for a connection error when
		retry_conn (the server may be restarting)."""
		url = self.md["deferred_credential_endpoint"]
		for attempt in range(3):
			headers = {"Content-Type": "application/json",
				   "Authorization": "%s %s" % (self.token_type, self.access_token)}
			if self.token_type == "DPoP":
				headers["DPoP"] = self.dpop_proof("POST", url, self.access_token)
			try:
				r = self.http.request("POST", url, body=jdump({"transaction_id": tx}),
						      headers=headers)
			except Fail:
				if retry_conn:
					return None
				raise
			self.note_dpop_nonce(r)
			if r.status == 401 and self.token_type == "DPoP":
				params = parse_auth_params((r.headers_named("WWW-Authenticate") or [""])[0])
				if params.get("error") == "use_dpop_nonce" and r.header("DPoP-Nonce"):
					continue
			return r
		die("deferred: use_dpop_nonce three times in a row")

	def pending_doc(self, r, what, tx=None):
		doc = r.json(what)
		known_members(doc, "credential", what)
		if "credentials" in doc:
			die("%s: 202 with credentials" % what)
		if not isinstance(doc.get("transaction_id"), str) or not doc["transaction_id"]:
			die("%s: 202 without a transaction_id" % what)
		if tx is not None and doc["transaction_id"] != tx:
			die("%s: another transaction_id than the first answer's" % what)
		iv = doc.get("interval")
		if not isinstance(iv, int) or isinstance(iv, bool) or iv < 1:
			die("%s: interval missing or not a positive integer" % what)
		if "no-store" not in (r.header("Cache-Control") or ""):
			die("%s: without Cache-Control: no-store" % what)
		return doc["transaction_id"], iv

	def deferred(self, r):
		"""The credential request answered 202: poll until the credentials
		come (their 200 response returned), or the denial (None with
		--expect-denied)."""
		if r.status != 202:
			self.fail_response("credential (deferred): expected 202", r)
		if not self.md.get("deferred_credential_endpoint"):
			die("issuer metadata: deferred_credential_endpoint missing")
		tx, iv = self.pending_doc(r, "credential (deferred)")
		self.ok("credential: 202 transaction_id, interval %d" % iv)
		if self.o["pending_file"]:
			with open(self.o["pending_file"], "w") as f:
				f.write(tx + "\n")
		deadline = time.time() + self.o["deferred_wait"]
		polls = 0
		while True:
			if time.time() > deadline:
				die("deferred: still pending after %g s" % self.o["deferred_wait"])
			time.sleep(self.o["poll"] if self.o["poll"] is not None else iv)
			r = self.post_deferred(tx, True)
			if r is None:
				continue
			polls += 1
			if r.status == 202:
				self.pending_doc(r, "deferred credential (pending)", tx)
				continue
			break
		self.ok("deferred: %d poll(s)" % polls)
		if self.o["expect_denied"]:
			self.expect_error("deferred credential (denied)", r, 400,
					  ("credential_request_denied",))
			return None
		if r.status != 200:
			self.fail_response("deferred credential", r)
		if "no-store" not in (r.header("Cache-Control") or ""):
			die("deferred credential: without Cache-Control: no-store")
		again = self.post_deferred(tx, False)
		self.expect_error("deferred credential (delivered id again)", again, 400,
				  ("invalid_transaction_id",))
		return r

	def save(self, info, cred):
		d = self.o["save"]
		os.makedirs(d, exist_ok=True)
		n = len([f for f in os.listdir(d) if f.endswith(".jwk")])
		ext = {"dc+sd-jwt": "sdjwt", "vc+sd-jwt": "sdjwt", "jwt_vc_json": "jwt",
		       "mso_mdoc": "mdoc"}.get(info["format"], "cred")
		with open(os.path.join(d, "%d.%s" % (n, ext)), "w") as f:
			f.write(cred + "\n")
		with open(os.path.join(d, "%d.jwk" % n), "w") as f:
			f.write(jdump(info["holder_jwk"]) + "\n")

	def notify(self, nid, event="credential_accepted", expect_ok=True):
		url = self.md.get("notification_endpoint")
		if not url:
			die("issuer metadata: notification_endpoint missing")
		body = {"notification_id": nid, "event": event}
		if self.o["unknown_fields"]:
			body["x_unknown_member"] = True
		for attempt in range(3):
			headers = {"Content-Type": "application/json",
				   "Authorization": "%s %s" % (self.token_type, self.access_token)}
			if self.token_type == "DPoP":
				headers["DPoP"] = self.dpop_proof("POST", url, self.access_token)
			r = self.http.request("POST", url, body=jdump(body), headers=headers)
			self.note_dpop_nonce(r)
			if r.status == 401 and self.token_type == "DPoP":
				params = parse_auth_params((r.headers_named("WWW-Authenticate") or [""])[0])
				if params.get("error") == "use_dpop_nonce" and r.header("DPoP-Nonce"):
					continue
			break
		if not expect_ok:
			return r
		if not 200 <= r.status < 300:
			self.fail_response("notification", r)
		self.ok("notification %s: %d" % (event, r.status))
		self.spent["notification_ids"].append(nid)
		return r

	# -- credential checks
	def issuer_key(self, header, what):
		"""The issuer's public key (PEM) for a JWS: x5c leaf (chain checked
		against --ca when given, key cross-checked with the jwt-vc-issuer
		JWKS when the issuer publishes one), else kid in that JWKS."""
		jwks = self.issuer_jwks()
		if "x5c" in header:
			x5c = header["x5c"]
			if not isinstance(x5c, list) or not x5c:
				die("%s: x5c is not a non-empty array" % what)
			try:
				chain = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True))
					 for c in x5c]
			except Exception as e:
				die("%s: x5c does not decode: %s" % (what, e))
			if self.anchors:
				check_chain(chain, self.anchors, what)
				self.ok("%s: x5c chain to the trust anchor" % what)
			leaf_jwk = jwk_of_pub(chain[0].public_key())
			if jwks is not None:
				if thumbprint(leaf_jwk) not in [thumbprint(k) for k in jwks
								  if k.get("kty") == "EC"]:
					die("%s: x5c leaf key not in the jwt-vc-issuer JWKS" % what)
				self.ok("%s: x5c leaf key in the jwt-vc-issuer JWKS" % what)
			return pem_of_cert(chain[0])
		if jwks is None:
			die("%s: no x5c and no jwt-vc-issuer metadata to find the key" % what)
		kid = header.get("kid")
		cands = [k for k in jwks if kid is None or k.get("kid") == kid]
		if len(cands) != 1:
			die("%s: kid %r selects %d keys of the JWKS" % (what, kid, len(cands)))
		return pem_of_jwk({m: cands[0][m] for m in ("kty", "crv", "x", "y") if m in cands[0]})

	def issuer_jwks(self):
		if self.jwt_vc_issuer is None:
			url = well_known(self.issuer, "jwt-vc-issuer")
			r = self.http.request("GET", url, headers={"Accept": "application/json"})
			if r.status == 404:
				self.jwt_vc_issuer = False
				return None
			if r.status != 200:
				self.fail_response("jwt-vc-issuer metadata", r)
			doc = r.json("jwt-vc-issuer metadata")
			if doc.get("issuer") != self.issuer:
				die("jwt-vc-issuer metadata: issuer %r, expected %r" %
				    (doc.get("issuer"), self.issuer))
			if ("jwks" in doc) == ("jwks_uri" in doc):
				die("jwt-vc-issuer metadata: exactly one of jwks / jwks_uri expected")
			if "jwks" not in doc:
				die("jwt-vc-issuer metadata: jwks_uri is not followed by this holder")
			keys = doc["jwks"].get("keys") if isinstance(doc["jwks"], dict) else None
			if not isinstance(keys, list) or not keys:
				die("jwt-vc-issuer metadata: jwks.keys missing")
			for k in keys:
				if any(m in k for m in ("d", "p", "q", "k")):
					die("jwt-vc-issuer metadata: a private key member in the JWKS")
			self.jwt_vc_issuer = keys
			self.ok("jwt-vc-issuer metadata")
		return self.jwt_vc_issuer or None

	def bind(self, jwk, remaining, what):
		if not isinstance(jwk, dict):
			die("%s: no holder key" % what)
		if any(m in jwk for m in ("d", "p", "q", "k")):
			die("%s: holder key carries a private member" % what)
		t = thumbprint(jwk)
		if t not in remaining:
			die("%s: bound to a key that is not one of the proof keys (or bound twice)" % what)
		key = remaining.pop(t)
		self.ok("%s: bound to proof key %s" % (what, t))
		return key

	def check_credential(self, cfg, cid, cred, remaining):
		fmt = cfg.get("format")
		if fmt in ("dc+sd-jwt", "vc+sd-jwt"):
			info = self.check_sdjwt(cfg, cred, remaining)
		elif fmt == "jwt_vc_json":
			info = self.check_w3c(cfg, cred, remaining)
		elif fmt == "mso_mdoc":
			info = self.check_mdoc(cfg, cred, remaining)
		else:
			die("credential: format %r not checked by this holder" % fmt)
		info["format"] = fmt
		info["config"] = cid
		st = info.get("status")
		if st is not None:
			self.spent["status"].append(st)
			self.check_status(st, info)
		elif self.o["expect_status"]:
			die("credential %s: no status list reference" % cid)
		return info

	def check_sdjwt(self, cfg, cred, remaining):
		what = "SD-JWT VC"
		if not isinstance(cred, str):
			die("%s: credential is not a string" % what)
		parts = cred.split("~")
		if len(parts) < 2 or parts[-1] != "":
			die("%s: not an SD-JWT (must end with ~, no KB-JWT from an issuer)" % what)
		jwt, discs = parts[0], parts[1:-1]
		header, payload = jwt_parts(jwt, what)
		typ = header.get("typ")
		if typ != "dc+sd-jwt" and not (self.o["draft13"] and typ == "vc+sd-jwt"):
			die("%s: typ %r, expected dc+sd-jwt" % (what, typ))
		jws_verify(jwt, self.issuer_key(header, what), what)
		self.ok("%s: issuer signature" % what)
		if payload.get("vct") != cfg.get("vct"):
			die("%s: vct %r, expected %r" % (what, payload.get("vct"), cfg.get("vct")))
		if "iss" in payload and payload["iss"] != self.issuer:
			die("%s: iss %r, expected %r" % (what, payload["iss"], self.issuer))
		check_times(payload, what)
		alg = payload.get("_sd_alg", "sha-256")
		hashes_ = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384,
			   "sha-512": hashlib.sha512}
		if alg not in hashes_:
			die("%s: _sd_alg %r" % (what, alg))
		claims = undisclose(payload, discs, hashes_[alg], what)
		self.ok("%s: %d disclosures hash into _sd (%s)" % (what, len(discs), alg))
		for k in ("iss", "nbf", "exp", "cnf", "vct", "status"):
			if k in claims and k not in payload:
				die("%s: %s was selectively disclosable" % (what, k))
		key = self.bind((payload.get("cnf") or {}).get("jwk"), remaining, what)
		st = None
		if "status" in payload:
			st = status_ref(payload["status"], what)
		return {"claims": claims, "status": st, "holder_jwk": key.jwk}

	def check_w3c(self, cfg, cred, remaining):
		what = "W3C VC JWT"
		if not isinstance(cred, str):
			die("%s: credential is not a string" % what)
		header, payload = jwt_parts(cred, what)
		jws_verify(cred, self.issuer_key(header, what), what)
		self.ok("%s: issuer signature" % what)
		if payload.get("iss") != self.issuer:
			die("%s: iss %r, expected %r" % (what, payload.get("iss"), self.issuer))
		check_times(payload, what)
		vc = payload.get("vc")
		if not isinstance(vc, dict):
			die("%s: vc claim missing" % what)
		want = (cfg.get("credential_definition") or {}).get("type") or []
		if not set(want) <= set(vc.get("type") or []):
			die("%s: vc.type %r lacks %r" % (what, vc.get("type"), want))
		holder = None
		sub = payload.get("sub")
		if isinstance(sub, str) and sub.startswith("did:jwk:"):
			try:
				holder = json.loads(b64u_dec(sub[len("did:jwk:"):].split("#")[0]))
			except ValueError:
				die("%s: sub did:jwk does not decode" % what)
			subj = vc.get("credentialSubject") or {}
			if subj.get("id") not in (None, sub):
				die("%s: credentialSubject.id %r differs from sub" % (what, subj.get("id")))
		elif isinstance(payload.get("cnf"), dict):
			holder = payload["cnf"].get("jwk")
		key = self.bind(holder, remaining, what)
		st = None
		cs = vc.get("credentialStatus")
		if "status" in payload:
			st = status_ref(payload["status"], what)
		elif isinstance(cs, dict):
			try:
				idx = int(cs["statusListIndex"])
				uri = cs["statusListCredential"]
			except (KeyError, ValueError, TypeError):
				die("%s: credentialStatus malformed: %r" % (what, cs))
			if not isinstance(cs["statusListIndex"], str):
				die("%s: statusListIndex must be a string" % what)
			st = {"idx": idx, "uri": uri, "kind": "bitstring"}
		return {"claims": vc.get("credentialSubject"), "status": st, "holder_jwk": key.jwk}

	def check_mdoc(self, cfg, cred, remaining):
		what = "mdoc"
		if not isinstance(cred, str):
			die("%s: credential is not a base64url string" % what)
		try:
			iss = cbor2.loads(b64u_dec(cred))
		except Exception as e:
			die("%s: IssuerSigned does not decode: %s" % (what, e))
		if not isinstance(iss, dict) or "issuerAuth" not in iss:
			die("%s: not an IssuerSigned map" % what)
		ia = iss["issuerAuth"]
		if isinstance(ia, cbor2.CBORTag):
			die("%s: issuerAuth must be an untagged COSE_Sign1" % what)
		if not isinstance(ia, list) or len(ia) != 4:
			die("%s: issuerAuth is not a COSE_Sign1 array" % what)
		prot_b, unprot, payload_b, sig = ia
		prot = cbor2.loads(prot_b) if prot_b else {}
		if prot.get(1) != -7 and prot.get(1) != -9:
			die("%s: protected alg %r, expected -7 or -9" % (what, prot.get(1)))
		x5 = unprot.get(33) if isinstance(unprot, dict) else None
		if x5 is None:
			x5 = prot.get(33)
		if x5 is None:
			die("%s: no x5chain (label 33)" % what)
		chain = [x5] if isinstance(x5, bytes) else list(x5)
		certs = [x509.load_der_x509_certificate(c) for c in chain]
		if self.anchors:
			check_chain(certs, self.anchors, what)
			self.ok("%s: x5chain to the trust anchor" % what)
		if not isinstance(payload_b, bytes):
			die("%s: detached or non-bstr payload" % what)
		tbs = cbor2.dumps(["Signature1", prot_b, b"", payload_b])
		if len(sig) != 64:
			die("%s: signature of %d bytes, expected raw r||s (64)" % (what, len(sig)))
		der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
						 int.from_bytes(sig[32:], "big"))
		try:
			certs[0].public_key().verify(der, tbs, ec.ECDSA(hashes.SHA256()))
		except Exception:
			die("%s: issuerAuth signature does not verify with the x5chain leaf" % what)
		self.ok("%s: issuerAuth signature" % what)
		tag = cbor2.loads(payload_b)
		if not isinstance(tag, cbor2.CBORTag) or tag.tag != 24:
			die("%s: payload is not MobileSecurityObjectBytes (tag 24)" % what)
		mso = cbor2.loads(tag.value)
		if mso.get("version") != "1.0":
			die("%s: MSO version %r" % (what, mso.get("version")))
		if mso.get("docType") != cfg.get("doctype"):
			die("%s: docType %r, expected %r" % (what, mso.get("docType"), cfg.get("doctype")))
		h = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384,
		     "SHA-512": hashlib.sha512}.get(mso.get("digestAlgorithm"))
		if h is None:
			die("%s: digestAlgorithm %r" % (what, mso.get("digestAlgorithm")))
		vd = mso.get("valueDigests") or {}
		claims = {}
		n = 0
		for ns, items in (iss.get("nameSpaces") or {}).items():
			seen = set()
			for item in items:
				if not isinstance(item, cbor2.CBORTag) or item.tag != 24:
					die("%s: %s item is not IssuerSignedItemBytes" % (what, ns))
				raw = cbor2.dumps(item)
				it = cbor2.loads(item.value)
				did = it.get("digestID")
				if did in seen:
					die("%s: digestID %r twice in %s" % (what, did, ns))
				seen.add(did)
				if len(it.get("random", b"")) < 16:
					die("%s: random of %s shorter than 16 bytes" % (what, it.get("elementIdentifier")))
				if (vd.get(ns) or {}).get(did) != h(raw).digest():
					die("%s: digest of %s/%s does not match valueDigests" %
					    (what, ns, it.get("elementIdentifier")))
				claims.setdefault(ns, {})[it["elementIdentifier"]] = printable(it["elementValue"])
				n += 1
		if n == 0:
			die("%s: no items" % what)
		self.ok("%s: %d valueDigests match" % (what, n))
		vi = mso.get("validityInfo") or {}
		for k in ("signed", "validFrom", "validUntil"):
			if k not in vi:
				die("%s: validityInfo.%s missing" % (what, k))
		ck = (mso.get("deviceKeyInfo") or {}).get("deviceKey")
		if not isinstance(ck, dict) or ck.get(1) != 2 or ck.get(-1) != 1:
			die("%s: deviceKey is not an EC2 P-256 COSE_Key: %r" % (what, ck))
		if any(k in ck for k in (-4,)):
			die("%s: deviceKey carries a private key" % what)
		jwk = {"kty": "EC", "crv": "P-256", "x": b64u(ck[-2]), "y": b64u(ck[-3])}
		key = self.bind(jwk, remaining, what)
		st = None
		if "status" in mso:
			st = status_ref(mso["status"], what)
		return {"claims": claims, "status": st, "holder_jwk": key.jwk}

	def check_status(self, st, info):
		"""Fetch the status list the reference points at, when it is under
		the issuer, and read the entry: it must be 0 (valid)."""
		uri = st["uri"]
		if not uri.startswith(self.issuer.rstrip("/") + "/"):
			return
		r = self.http.request("GET", uri, headers={
			"Accept": "application/statuslist+jwt, application/statuslist+cwt, application/vc+jwt, application/json"})
		if r.status != 200:
			self.fail_response("status list %s" % uri, r)
		ct = (r.header("Content-Type") or "").split(";")[0].strip().lower()
		if st.get("kind") == "bitstring":
			info["status_value"] = None
			self.ok("status list %s fetched (%s)" % (uri, ct))
			return
		if ct == "application/statuslist+jwt":
			tok = r.body.decode().strip()
			header, payload = jwt_parts(tok, "status list token")
			if str(header.get("typ", "")).lower().replace("application/", "") != "statuslist+jwt":
				die("status list token: typ %r" % header.get("typ"))
			jws_verify(tok, self.issuer_key(header, "status list token"), "status list token")
			if payload.get("sub") != uri:
				die("status list token: sub %r, expected %r" % (payload.get("sub"), uri))
			sl = payload.get("status_list") or {}
			bits, lst = sl.get("bits"), zlib.decompress(b64u_dec(sl.get("lst", "")))
		elif ct == "application/statuslist+cwt":
			msg = cbor2.loads(r.body)
			if not isinstance(msg, cbor2.CBORTag) or msg.tag != 18:
				die("status list CWT: not a COSE_Sign1_Tagged")
			claims = cbor2.loads(msg.value[2])
			if claims.get(2) != uri:
				die("status list CWT: sub %r, expected %r" % (claims.get(2), uri))
			sl = claims.get(65533) or {}
			bits, lst = sl.get("bits"), zlib.decompress(sl.get("lst", b""))
		else:
			die("status list %s: Content-Type %r" % (uri, ct))
		if bits not in (1, 2, 4, 8):
			die("status list: bits %r" % bits)
		i = st["idx"]
		if i * bits // 8 >= len(lst):
			die("status list: index %d beyond the list" % i)
		v = (lst[i * bits // 8] >> ((i * bits) % 8)) & ((1 << bits) - 1)
		if v != 0:
			die("status list: fresh credential's index %d has status %d, expected 0" % (i, v))
		info["status_value"] = v
		self.ok("status list entry %d valid" % i)


def parse_auth_params(value):
	"""Parameters of a WWW-Authenticate challenge: scheme k="v", k=v."""
	out = {}
	rest = value.split(" ", 1)[1] if " " in value else ""
	i = 0
	while i < len(rest):
		while i < len(rest) and rest[i] in " ,":
			i += 1
		j = rest.find("=", i)
		if j < 0:
			break
		name = rest[i:j].strip().lower()
		i = j + 1
		if i < len(rest) and rest[i] == '"':
			k = i + 1
			val = ""
			while k < len(rest) and rest[k] != '"':
				if rest[k] == "\\":
					k += 1
				val += rest[k]
				k += 1
			i = k + 1
		else:
			k = rest.find(",", i)
			k = len(rest) if k < 0 else k
			val = rest[i:k].strip()
			i = k
		out[name] = val
	return out


def check_times(payload, what):
	now = time.time()
	for k in ("iat", "exp", "nbf"):
		if k in payload and (not isinstance(payload[k], int) or isinstance(payload[k], bool)):
			die("%s: %s is not an integer NumericDate" % (what, k))
	if "exp" in payload and payload["exp"] <= now:
		die("%s: already expired" % what)
	if "nbf" in payload and payload["nbf"] > now + 300:
		die("%s: not yet valid" % what)


def status_ref(st, what):
	sl = st.get("status_list") if isinstance(st, dict) else None
	if not isinstance(sl, dict) or not isinstance(sl.get("idx"), int) or sl["idx"] < 0 \
	   or isinstance(sl["idx"], bool) or not isinstance(sl.get("uri"), str):
		die("%s: status is not {status_list: {idx, uri}}: %r" % (what, st))
	return {"idx": sl["idx"], "uri": sl["uri"]}


def printable(v):
	if isinstance(v, bytes):
		return {"bytes": len(v)}
	if isinstance(v, cbor2.CBORTag):
		return printable(v.value)
	if isinstance(v, list):
		return [printable(x) for x in v]
	if isinstance(v, dict):
		return {str(k): printable(x) for k, x in v.items()}
	if isinstance(v, (str, int, float, bool)) or v is None:
		return v
	return str(v)


def undisclose(payload, discs, h, what):
	"""RFC 9901 section 7.1 steps 3-5: the processed payload."""
	by_digest = {}
	for d in discs:
		dg = b64u(h(d.encode("ascii")).digest())
		if dg in by_digest:
			die("%s: the same disclosure twice" % what)
		try:
			arr = json.loads(b64u_dec(d))
		except (ValueError, Fail):
			die("%s: a disclosure does not decode" % what)
		if not isinstance(arr, list) or len(arr) not in (2, 3) or not isinstance(arr[0], str):
			die("%s: a disclosure is not [salt, (name,) value]" % what)
		by_digest[dg] = arr
	used = set()
	seen = set()

	def note(dg):
		if not isinstance(dg, str):
			die("%s: a digest is not a string" % what)
		if dg in seen:
			die("%s: digest %s appears twice" % (what, dg))
		seen.add(dg)

	def walk(node):
		if isinstance(node, dict):
			out = {}
			sd = node.get("_sd", [])
			if not isinstance(sd, list):
				die("%s: _sd is not an array" % what)
			for k, v in node.items():
				if k in ("_sd", "_sd_alg"):
					continue
				if k == "...":
					die("%s: ... outside an array element" % what)
				out[k] = walk(v)
			for dg in sd:
				note(dg)
				if dg in by_digest:
					arr = by_digest[dg]
					if len(arr) != 3:
						die("%s: an object disclosure without a name" % what)
					name = arr[1]
					if name in ("_sd", "...") or name in out:
						die("%s: disclosed name %r clashes" % (what, name))
					used.add(dg)
					out[name] = walk(arr[2])
			return out
		if isinstance(node, list):
			out = []
			for el in node:
				if isinstance(el, dict) and "..." in el:
					if len(el) != 1:
						die("%s: array digest object with other members" % what)
					dg = el["..."]
					note(dg)
					if dg in by_digest:
						arr = by_digest[dg]
						if len(arr) != 2:
							die("%s: an array disclosure with a name" % what)
						used.add(dg)
						out.append(walk(arr[1]))
					continue
				out.append(walk(el))
			return out
		return node

	claims = walk(payload)
	if set(by_digest) - used:
		die("%s: %d disclosures not referenced" % (what, len(set(by_digest) - used)))
	return claims


# ---------------------------------------------------------------- modes

def run_positive(h):
	cids = [h.o["config"]] if h.o.get("config") else h.offered
	for cid in cids:
		if cid not in h.offered:
			die("--config %s: not in the offer" % cid)
	h.token()
	for cid in cids:
		doc, _ = h.credential(cid, h.o["batch"])
		notify_if(h, doc)
	if h.o["refresh"]:
		run_refresh(h, cids)


def run_refresh(h, cids):
	"""--refresh: the refresh token of the first grant renews the access
	(RFC 6749 section 6) and is rotated; credentials are issued again with
	the new access token; a refresh with another DPoP key is refused and
	spends nothing; the old token presented again is refused and revokes
	the chain (the rotated one is refused after that)."""
	rt = getattr(h, "refresh_token", None)
	if not rt:
		die("token response: no refresh_token (--refresh)")
	form = {"grant_type": "refresh_token", "refresh_token": rt}
	if h.wallet is not None:
		form["client_id"] = h.wallet.client_id
	h.token(dict(form))
	new = h.refresh_token
	if not new or new == rt:
		die("refresh: the refresh token was not rotated")
	h.ok("refresh: new access token, refresh token rotated")
	for cid in cids:
		h.credential(cid, 1)
	h.ok("refresh: credentials issued again")
	form2 = dict(form, refresh_token=new)
	if h.dpop_key is not None:
		own, h.dpop_key = h.dpop_key, Key()
		r = h.post_token(form2)
		h.dpop_key = own
		h.expect_error("refresh with another DPoP key", r, 400, ["invalid_grant"])
	r = h.post_token(form)
	h.expect_error("refresh token used twice", r, 400, ["invalid_grant"])
	r = h.post_token(form2)
	h.expect_error("rotated refresh token after a replay", r, 400, ["invalid_grant"])
	h.ok("refresh: a replay revoked the chain")


def notify_if(h, doc):
	if not doc:
		return   # a deferred request denied
	nid = doc.get("notification_id")
	if h.o["notify"] and h.md.get("notification_endpoint"):
		if not isinstance(nid, str) or not nid:
			die("credential response: notification_id missing while the issuer "
			    "has a notification endpoint")
		h.notify(nid)
		h.log_spent({"notified": nid})


def first_cid(h):
	return h.o.get("config") or h.offered[0]


def neg_token(h, mode):
	grant = h.grant
	if mode == "wrong-tx-code":
		if "tx_code" not in grant or h.o.get("tx_code") is None:
			die("--neg wrong-tx-code needs an offer with tx_code and --tx-code")
		n = h.o["wrong_tx_code"]
		right = h.o["tx_code"]
		for i in range(n):
			wrong = right
			while wrong == right:
				wrong = "".join(secrets.choice("0123456789") for _ in right) if right.isdigit() \
					else b64u(secrets.token_bytes(6))
			r = h.post_token(h.token_form(tx_code=wrong))
			h.expect_error("token, wrong tx_code %d" % (i + 1), r, 400, ["invalid_grant"])
		if n >= h.o["tx_attempts"]:
			r = h.post_token(h.token_form())
			h.expect_error("token, right tx_code after %d wrong" % n, r, 400, ["invalid_grant"])
			h.result["code_dead"] = True
			return False
		return True
	if mode == "no-tx-code":
		if "tx_code" not in grant:
			die("--neg no-tx-code needs an offer with tx_code")
		r = h.post_token(h.token_form(with_tx=False))
		h.expect_error("token without tx_code", r, 400, ["invalid_request"])
		return True
	if mode == "unexpected-tx-code":
		if "tx_code" in grant:
			die("--neg unexpected-tx-code needs an offer without tx_code")
		r = h.post_token(h.token_form(tx_code="123456"))
		h.expect_error("token with an unexpected tx_code", r, 400, ["invalid_request"])
		return True
	if mode == "expired-code":
		time.sleep(h.o["wait"])
		r = h.post_token(h.token_form())
		h.expect_error("token, code past its expiry", r, 400, ["invalid_grant"])
		return False
	if mode == "no-wallet-attestation":
		r = h.post_token(h.token_form())
		h.expect_error("token without a wallet attestation", r, (400, 401), ["invalid_client"])
		return False
	if mode == "bearer-token":
		r = h.post_token(h.token_form(), dpop=False)
		h.expect_error("token without DPoP", r, 400, ["invalid_dpop_proof", "invalid_request"])
		return True
	return True


def neg_after_token(h, mode):
	cid = first_cid(h)
	url = h.md["credential_endpoint"]
	if mode == "replay-code":
		r = h.post_token(h.token_form())
		h.expect_error("token, code replayed", r, 400, ["invalid_grant"])
	elif mode == "dpop-replay-token":
		if not h.o.get("second_offer"):
			die("--neg dpop-replay-token needs --second-offer")
		h2 = Holder(dict(h.o, neg=None))
		h2.dpop_key = h.dpop_key
		h2.discover(read_offer_arg(h.o["second_offer"]))
		r = h2.post_token(h2.token_form(), proof=h.last_token_dpop)
		h2.expect_error("token, DPoP proof replayed", r, 400, ["invalid_dpop_proof"])
		h.checks.extend(h2.checks)
	elif mode == "bearer-dpop-token":
		if h.token_type != "DPoP":
			die("--neg bearer-dpop-token needs a DPoP-bound token")
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body, scheme="Bearer")
		h.expect_error("credential, DPoP token as Bearer", r, 401, ["invalid_token"])
	elif mode == "token-in-query":
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body, query_token=True)
		if r.status == 401:
			if not r.headers_named("WWW-Authenticate"):
				die("credential, token in the query: 401 without WWW-Authenticate")
			h.ok("credential, token in the query: 401")
		else:
			h.expect_error("credential, token in the query", r, 400, ["invalid_request"])
	elif mode == "unknown-config":
		n = h.c_nonce()
		body = {"credential_configuration_id": "no_such_configuration",
			"proofs": {"jwt": [h.proof(Key(), n)]}}
		r = h.post_credential(body)
		h.expect_error("credential, unknown configuration", r, 400,
			       ["unknown_credential_configuration"])
	elif mode == "unknown-identifier":
		n = h.c_nonce()
		body = {"credential_identifier": "no_such_identifier",
			"proofs": {"jwt": [h.proof(Key(), n)]}}
		r = h.post_credential(body)
		h.expect_error("credential, unknown identifier", r, 400,
			       ["unknown_credential_identifier"])
	elif mode == "missing-proof":
		body = h.request_body(cid, None)
		r = h.post_credential(body)
		h.expect_error("credential without proofs", r, 400, ["invalid_proof"])
	elif mode == "bad-proof-sig":
		n = h.c_nonce()
		p = h.proof(Key(), n)
		head, pay, sig = p.split(".")
		raw = bytearray(b64u_dec(sig))
		raw[5] ^= 0x40
		body = h.request_body(cid, [head + "." + pay + "." + b64u(bytes(raw))])
		r = h.post_credential(body)
		h.expect_error("credential, proof with a bad signature", r, 400, ["invalid_proof"])
	elif mode == "wrong-aud":
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n, aud="https://other-issuer.example.com")])
		r = h.post_credential(body)
		h.expect_error("credential, proof for another aud", r, 400, ["invalid_proof"])
	elif mode == "over-batch":
		size = (h.md.get("batch_credential_issuance") or {}).get("batch_size", 1)
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n) for _ in range(size + 1)])
		r = h.post_credential(body)
		h.expect_error("credential, %d proofs over batch_size %d" % (size + 1, size), r, 400,
			       ["invalid_credential_request", "invalid_proof"])
	elif mode == "dup-key":
		n = h.c_nonce()
		k = Key()
		body = h.request_body(cid, [h.proof(k, n), h.proof(k, n)])
		r = h.post_credential(body)
		h.expect_error("credential, two proofs of one key", r, 400,
			       ["invalid_proof", "invalid_credential_request"])
	elif mode == "expired-token":
		time.sleep(h.o["wait"])
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body)
		h.expect_error("credential, access token past its expiry", r, 401, ["invalid_token"])
		return
	elif mode == "expired-nonce":
		n = h.c_nonce()
		time.sleep(h.o["wait"])
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body)
		h.expect_error("credential, c_nonce past its expiry", r, 400, ["invalid_nonce"])
		return
	elif mode in ("enc-unsupported", "enc-plain-request"):
		if not h.o.get("encrypt"):
			die("--neg %s needs --encrypt" % mode)
		n = h.c_nonce()
		body = h.request_body(cid, h.proofs_for([Key()], n))
		if mode == "enc-unsupported":
			pub = json.loads(jwcrypto_jwk.JWK.generate(kty="EC", crv="P-256").export_public())
			pub["alg"] = "ECDH-ES"
			body["credential_response_encryption"] = {"jwk": pub, "enc": "A128CBC-HS256"}
		h.force_plain = mode == "enc-plain-request"
		r = h.post_credential(body)
		h.force_plain = False
		h.expect_error("credential, %s" % ("unsupported enc A128CBC-HS256" if mode ==
			       "enc-unsupported" else "encrypted response from a plain request"),
			       r, 400, ["invalid_encryption_parameters"])
	elif mode == "key-attestation-refused":
		n = h.c_nonce()
		body = h.request_body(cid, h.proofs_for([Key()], n))
		r = h.post_credential(body)
		h.expect_error("credential, key attestation refused", r, 400, ["invalid_proof"])
		return
	elif mode == "no-key-attestation":
		cfg = h.md["credential_configurations_supported"][cid]
		jwt_pt = (cfg.get("proof_types_supported") or {}).get("jwt") or {}
		if "key_attestations_required" not in jwt_pt:
			die("issuer metadata: %s requires key attestations but its jwt proof type "
			    "does not announce key_attestations_required" % cid)
		h.ok("metadata: key_attestations_required announced")
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body)
		h.expect_error("credential, proof without a key attestation", r, 400, ["invalid_proof"])
		return
	elif mode == "bad-nonce":
		body = h.request_body(cid, [h.proof(Key(), b64u(secrets.token_bytes(32)))])
		r = h.post_credential(body)
		h.expect_error("credential, unknown c_nonce", r, 400, ["invalid_nonce"])
	elif mode in ("forged-nonce", "given-nonce"):
		if mode == "given-nonce":
			if not h.o["nonce"]:
				die("--neg given-nonce needs --nonce")
			n = h.o["nonce"]
		else:
			n = h.c_nonce()
			i = len(n) // 2
			n = n[:i] + ("A" if n[i] != "A" else "B") + n[i + 1:]
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body)
		h.expect_error("credential, %s c_nonce" % mode.split("-")[0], r, 400, ["invalid_nonce"])
	elif mode == "reuse-nonce":
		doc, _ = h.credential(cid, 1)
		used = h.spent["c_nonces"][-1]
		body = h.request_body(cid, [h.proof(Key(), used)])
		r = h.post_credential(body)
		h.expect_error("credential, c_nonce reused", r, 400, ["invalid_nonce"])
		notify_if(h, doc)
		return
	elif mode == "dpop-replay":
		if h.token_type != "DPoP":
			die("--neg dpop-replay needs a DPoP-bound token")
		doc, _ = h.credential(cid, 1)
		replayed = h.last_cred_dpop
		n = h.c_nonce()
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body, dpop_proof=replayed)
		h.expect_error("credential, DPoP proof replayed", r, 401, ["invalid_dpop_proof"],
			       www_scheme="DPoP")
		notify_if(h, doc)
		return
	elif mode == "notify-repeat":
		doc, _ = h.credential(cid, 1)
		notify_if(h, doc)
		h.notify(doc["notification_id"])
		h.ok("notification repeated: 2xx again")
		return
	elif mode == "bad-event":
		doc, _ = h.credential(cid, 1)
		r = h.notify(doc["notification_id"], event="credential_lost", expect_ok=False)
		h.expect_error("notification, unknown event", r, 400, ["invalid_notification_request"])
		notify_if(h, doc)
		return
	elif mode == "bad-notification":
		doc, _ = h.credential(cid, 1)
		r = h.notify("no-such-notification-" + b64u(secrets.token_bytes(8)), expect_ok=False)
		h.expect_error("notification, unknown id", r, 400, ["invalid_notification_id"])
		notify_if(h, doc)
		return
	else:
		die("--neg %s: unknown mode" % mode)
	if mode == "dpop-replay-token":
		return
	# the server keeps serving: the flow completes
	doc, _ = h.credential(cid, h.o["batch"])
	notify_if(h, doc)


TOKEN_MODES = ("wrong-tx-code", "no-tx-code", "unexpected-tx-code", "bearer-token",
	       "no-wallet-attestation", "expired-code")
CRED_MODES = ("replay-code", "dpop-replay-token", "bearer-dpop-token", "token-in-query",
	      "unknown-config", "unknown-identifier", "missing-proof", "bad-proof-sig",
	      "wrong-aud", "over-batch", "dup-key", "no-key-attestation", "bad-nonce",
	      "expired-token", "expired-nonce", "notify-repeat", "bad-event", "reuse-nonce", "dpop-replay", "bad-notification",
	      "enc-unsupported", "enc-plain-request", "key-attestation-refused", "forged-nonce", "given-nonce")


def run_negative(h, mode):
	if mode in TOKEN_MODES:
		if not neg_token(h, mode):
			return
		h.token()
		doc, _ = h.credential(first_cid(h), h.o["batch"])
		notify_if(h, doc)
		return
	if mode not in CRED_MODES:
		die("--neg %s: unknown mode" % mode)
	h.token()
	neg_after_token(h, mode)


def check_spent(h, log):
	recs = [json.loads(l) for l in open(log) if l.strip()]
	codes = [(r["code"], r.get("tx_code")) for r in recs if "code" in r]
	nonces = [r["c_nonce"] for r in recs if "c_nonce" in r]
	status = [(s["uri"], s["idx"]) for r in recs if "status" in r
		  for s in (r["status"] or []) if s]
	if len(set(status)) != len(status):
		dup = sorted({s for s in status if status.count(s) > 1})
		die("status entries handed out twice: %s" % dup[:5])
	h.ok("%d status entries, all distinct" % len(status))
	for code, tx in codes:
		form = {"grant_type": PRE_AUTH, "pre-authorized_code": code}
		if tx is not None:
			form["tx_code"] = tx
		r = h.post_token(form)
		h.expect_error("token, spent code", r, 400, ["invalid_grant"])
	h.token()
	cid = first_cid(h)
	for n in nonces:
		body = h.request_body(cid, [h.proof(Key(), n)])
		r = h.post_credential(body)
		h.expect_error("credential, spent c_nonce", r, 400, ["invalid_nonce"])
	return {"codes": len(codes), "c_nonces": len(nonces), "status": len(status),
		"status_entries": [{"uri": u, "idx": i} for u, i in status]}


# ---------------------------------------------------------------- authorization code flow

def check_as_auth_code(asmd):
	"""The AS metadata a HAIP wallet relies on (RFC 8414, RFC 9126, RFC 9207)."""
	for k in ("authorization_endpoint", "pushed_authorization_request_endpoint"):
		if not isinstance(asmd.get(k), str):
			die("AS metadata: %s missing" % k)
	if "S256" not in (asmd.get("code_challenge_methods_supported") or []):
		die("AS metadata: code_challenge_methods_supported lacks S256")
	if asmd.get("authorization_response_iss_parameter_supported") is not True:
		die("AS metadata: authorization_response_iss_parameter_supported is not true")


def load_pem_chain(path):
	data = open(path, "rb").read()
	marker = b"-----END CERTIFICATE-----"
	return [x509.load_pem_x509_certificate(c + marker) for c in data.split(marker)[:-1]]


class Wallet:
	"""The wallet instance: its client_id, instance key and the wallet
	provider's attestation signer (ABCA draft -07 section 5)."""

	def __init__(self, o):
		self.client_id = o["client_id"]
		self.instance = Key()
		self.signer = None
		if o.get("wallet_key"):
			self.signer = serialization.load_pem_private_key(
				open(o["wallet_key"], "rb").read(), password=None)
			self.x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
				    for c in load_pem_chain(o["wallet_cert"])]

	def attestation(self, neg=None):
		now = int(time.time())
		claims = {"iss": "https://wallet-provider.example", "sub": self.client_id,
			  "iat": now, "exp": now + 3600, "cnf": {"jwk": self.instance.jwk},
			  "wallet_name": "holder.py"}
		if neg == "wa-expired":
			claims["iat"], claims["exp"] = now - 7200, now - 3600
		if neg == "wa-no-sub":
			del claims["sub"]
		signer = Key()
		signer.priv = self.signer
		jwt = sign_jwt(signer, {"typ": "oauth-client-attestation+jwt", "alg": "ES256",
					"x5c": self.x5c}, claims)
		return break_sig(jwt) if neg == "wa-bad-sig" else jwt

	def pop(self, aud, neg=None):
		claims = {"iss": self.client_id, "aud": aud, "jti": b64u(secrets.token_bytes(16)),
			  "iat": int(time.time())}
		if neg == "wa-pop-aud":
			claims["aud"] = "https://other-server.example"
		key = Key() if neg == "wa-pop-key" else self.instance
		jwt = sign_jwt(key, {"typ": "oauth-client-attestation-pop+jwt", "alg": "ES256"}, claims)
		return break_sig(jwt) if neg == "wa-bad-pop-sig" else jwt


def break_sig(jwt):
	h, p, sig = jwt.split(".")
	raw = bytearray(b64u_dec(sig))
	raw[5] ^= 0x01
	return h + "." + p + "." + b64u(bytes(raw))


REDIRECT_URI = "https://wallet.example.org/cb"
AUTH_FLOWS = ("auth-code", "wallet-init")
AUTH_NEG_PAR = ("wa-bad-sig", "wa-bad-pop-sig", "wa-expired", "wa-no-sub", "wa-pop-aud",
		"wa-pop-key")
AUTH_NEG = AUTH_NEG_PAR + ("pkce-mismatch", "reuse-code", "reuse-request-uri",
			   "redirect-mismatch", "access-denied")


def holder_client_auth_headers(h, neg=None):
	if h.wallet is None or h.wallet.signer is None or h.o["no_attestation"]:
		return {}
	return {"OAuth-Client-Attestation": h.wallet.attestation(neg),
		"OAuth-Client-Attestation-PoP": h.wallet.pop(h.asmd["issuer"], neg)}


Holder.client_auth_headers = holder_client_auth_headers


def auth_request(h, cids):
	"""The pushed request's parameters: scope when every configuration has
	one (HAIP 1.0 section 4.3), else authorization_details."""
	cfgs = h.md["credential_configurations_supported"]
	scopes = [cfgs[c].get("scope") for c in cids]
	form = {"response_type": "code", "client_id": h.wallet.client_id,
		"redirect_uri": REDIRECT_URI, "code_challenge_method": "S256",
		"state": b64u(secrets.token_bytes(12))}
	if h.o["flow"] == "auth-code":
		form["issuer_state"] = h.grant["issuer_state"]
	h.code_verifier = b64u(secrets.token_bytes(32))
	form["code_challenge"] = b64u(hashlib.sha256(h.code_verifier.encode()).digest())
	if all(scopes):
		form["scope"] = " ".join(scopes + ["openid_unknown_scope"])
	else:
		form["authorization_details"] = jdump([{"type": "openid_credential",
						       "credential_configuration_id": c} for c in cids])
	h.auth_state = form["state"]
	return form


def post_par(h, form, neg=None):
	url = h.asmd["pushed_authorization_request_endpoint"]
	for attempt in range(3):
		headers = {"Content-Type": "application/x-www-form-urlencoded",
			   "Accept": "application/json"}
		headers.update(h.client_auth_headers(neg))
		if h.dpop_key is not None:
			headers["DPoP"] = h.dpop_proof("POST", url)
		r = h.http.request("POST", url, body=urllib.parse.urlencode(form), headers=headers)
		h.note_dpop_nonce(r)
		if r.status == 400 and h.dpop_key is not None and \
		   r.json("PAR error").get("error") == "use_dpop_nonce":
			continue
		return r
	die("PAR: use_dpop_nonce three times in a row")


def par(h, form):
	r = post_par(h, form)
	if r.status != 201:
		h.fail_response("PAR", r)
	doc = r.json("PAR response")
	uri = doc.get("request_uri")
	if not isinstance(uri, str) or not uri.startswith("urn:ietf:params:oauth:request_uri:"):
		die("PAR: request_uri %r" % uri)
	if not isinstance(doc.get("expires_in"), int) or not 0 < doc["expires_in"] <= 600:
		die("PAR: expires_in %r" % doc.get("expires_in"))
	if "no-store" not in (r.header("Cache-Control") or ""):
		die("PAR response: Cache-Control no-store missing")
	h.ok("PAR (201)")
	return uri


def authorize(h, request_uri):
	q = urllib.parse.urlencode({"client_id": h.wallet.client_id, "request_uri": request_uri})
	url = h.asmd["authorization_endpoint"]
	return h.http.request("GET", url + ("&" if "?" in url else "?") + q)


def browse(h, r):
	"""Follow redirects as a browser does (the wallet-initiated flow: to
	the OpenID Provider and back through the issuer's callback) until one
	leads to the wallet's redirect_uri; the OpenID Provider's answer is
	taken as given (it logs the user in at once)."""
	hops = 0
	while r.status in (302, 303):
		loc = r.header("Location") or ""
		if loc.startswith(REDIRECT_URI + "?"):
			return r
		hops += 1
		if hops > 5:
			die("authorize: more than 5 redirects")
		if not loc.startswith(("http://127.0.0.1", "https://127.0.0.1")):
			die("authorize: redirected to %r" % loc[:120])
		if hops == 1:
			h.ok("authorize: sent to the OpenID Provider")
		if urllib.parse.urlsplit(loc).path.endswith("/oidc/callback"):
			# kept for tests that replay the provider's answer
			h.result["oidc_callback"] = loc
		r = h.http.request("GET", loc)
	return r


def authorization_response(h, r):
	if h.o["flow"] == "wallet-init":
		r = browse(h, r)
	if r.status not in (302, 303):
		h.fail_response("authorize: expected a redirect", r)
	loc = r.header("Location") or ""
	if not loc.startswith(REDIRECT_URI + "?"):
		die("authorize: Location %r is not the redirect_uri" % loc[:120])
	q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query, strict_parsing=True)
	if q.get("iss") != [h.asmd["issuer"]]:
		die("authorize: iss %r, expected %r (RFC 9207)" % (q.get("iss"), h.asmd["issuer"]))
	if q.get("state") != [h.auth_state]:
		die("authorize: state not returned as sent")
	if "error" in q or len(q.get("code", [])) != 1:
		die("authorize: no code: %s" % q.get("error"))
	h.ok("authorize (302 with code, state, iss)")
	return q["code"][0]


def expect_denied(h, r):
	"""The authorization ends at the wallet's redirect_uri with
	error=access_denied, state and iss, and no code."""
	if h.o["flow"] == "wallet-init":
		r = browse(h, r)
	loc = r.header("Location") or "" if r.status in (302, 303) else ""
	if not loc.startswith(REDIRECT_URI + "?"):
		h.fail_response("authorize: expected a redirect to the wallet", r)
	q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query, strict_parsing=True)
	if q.get("error") != ["access_denied"] or "code" in q:
		die("authorize: expected error=access_denied, got %r" % q)
	if q.get("state") != [h.auth_state] or q.get("iss") != [h.asmd["issuer"]]:
		die("authorize: the error redirect lacks state or iss")
	h.ok("authorize: access_denied at the redirect_uri")


def code_form(h, code, verifier=None, redirect=None):
	return {"grant_type": "authorization_code", "code": code,
		"code_verifier": verifier or h.code_verifier,
		"redirect_uri": redirect or REDIRECT_URI, "client_id": h.wallet.client_id}


def run_auth_code(h, neg=None):
	if h.o["flow"] == "wallet-init":
		cids = h.offered
	else:
		cids = [h.o["config"]] if h.o.get("config") else h.offered
	form = auth_request(h, cids)
	if neg in AUTH_NEG_PAR:
		r = post_par(h, form, neg)
		h.expect_error("PAR, %s" % neg, r, 401, ["invalid_client"])
		neg = None
	request_uri = par(h, form)
	r = authorize(h, request_uri)
	if neg == "access-denied":
		expect_denied(h, r)
		return
	code = authorization_response(h, r)
	if neg == "reuse-request-uri":
		r = authorize(h, request_uri)
		h.expect_error("authorize, request_uri used twice", r, 400, ["invalid_request"])
		return
	if neg == "pkce-mismatch":
		r = h.post_token(code_form(h, code, verifier=b64u(secrets.token_bytes(32))))
		h.expect_error("token, PKCE mismatch", r, 400, ["invalid_grant"])
		return
	if neg == "redirect-mismatch":
		r = h.post_token(code_form(h, code, redirect=REDIRECT_URI + "/other"))
		h.expect_error("token, another redirect_uri", r, 400, ["invalid_grant"])
		return
	h.token(code_form(h, code))
	if neg == "reuse-code":
		r = h.post_token(code_form(h, code))
		h.expect_error("token, code used twice", r, 400, ["invalid_grant"])
	for cid in cids:
		doc, _ = h.credential(cid, h.o["batch"])
		notify_if(h, doc)
	if h.o["refresh"]:
		run_refresh(h, cids)


# ---------------------------------------------------------------- main

def usage(msg):
	print("holder: " + msg, file=sys.stderr)
	print("usage: holder.py OFFER [--tx-code V] [--dpop yes|no] [--batch N] [--neg MODE] ..."
	      " (holder.py --help)", file=sys.stderr)
	sys.exit(2)


def parse_args(argv):
	o = {"dpop": True, "batch": 1, "timeout": 60.0, "draft13": False,
	     "unknown_fields": False, "use_config_id": False, "expect_status": False,
	     "notify": True, "neg": None, "wrong_tx_code": 1, "tx_attempts": 5,
	     "save": None, "spent_log": None, "check_spent": None, "ca": None,
	     "config": None, "tx_code": None, "second_offer": None, "wait": 3.0, "tls_ca": None, "nonce": None,
	     "deferred": False, "expect_denied": False, "poll": None, "deferred_wait": 120.0,
	     "pending_file": None,
	     "flow": "pre-auth", "wallet_key": None, "wallet_cert": None,
	     "client_id": "https://wallet.example.org", "no_attestation": False,
	     "encrypt": None, "attester_key": None, "attester_cert": None,
	     "key_storage": "iso_18045_high", "user_auth": "iso_18045_high", "proof_type": "jwt",
	     "save_jwe": None, "refresh": False, "connect_to": None}
	pos = []
	args = list(argv)
	valued = {"--tx-code": "tx_code", "--batch": "batch", "--config": "config",
		  "--ca": "ca", "--timeout": "timeout", "--spent-log": "spent_log",
		  "--save": "save", "--neg": "neg", "--wrong-tx-code": "wrong_tx_code",
		  "--tx-attempts": "tx_attempts", "--second-offer": "second_offer",
		  "--check-spent": "check_spent", "--dpop": "dpop", "--wait": "wait",
		  "--tls-ca": "tls_ca", "--poll": "poll", "--deferred-wait": "deferred_wait",
		  "--pending-file": "pending_file", "--flow": "flow", "--wallet-key": "wallet_key",
		  "--wallet-cert": "wallet_cert", "--client-id": "client_id",
		  "--encrypt": "encrypt", "--attester-key": "attester_key",
		  "--attester-cert": "attester_cert", "--key-storage": "key_storage",
		  "--user-auth": "user_auth", "--proof-type": "proof_type",
		  "--save-jwe": "save_jwe", "--connect-to": "connect_to", "--nonce": "nonce"}
	flags = {"--draft13": "draft13", "--unknown-fields": "unknown_fields",
		 "--use-config-id": "use_config_id", "--expect-status": "expect_status",
		 "--deferred": "deferred", "--expect-denied": "expect_denied",
		 "--no-attestation": "no_attestation", "--refresh": "refresh"}
	while args:
		a = args.pop(0)
		if a in ("-h", "--help"):
			print(__doc__)
			sys.exit(0)
		if a == "--no-notify":
			o["notify"] = False
		elif a in flags:
			o[flags[a]] = True
		elif a in valued:
			if not args:
				usage("%s needs a value" % a)
			o[valued[a]] = args.pop(0)
		elif a.startswith("--") and a != "--":
			usage("unknown option %s" % a)
		else:
			pos.append(a)
	if len(pos) != 1:
		usage("one OFFER expected")
	if o["dpop"] not in ("yes", "no", True):
		usage("--dpop yes or no")
	o["dpop"] = o["dpop"] in ("yes", True)
	try:
		for k in ("batch", "wrong_tx_code", "tx_attempts"):
			o[k] = int(o[k])
		o["timeout"] = float(o["timeout"])
		o["wait"] = float(o["wait"])
		o["deferred_wait"] = float(o["deferred_wait"])
		if o["poll"] is not None:
			o["poll"] = float(o["poll"])
	except ValueError:
		usage("a numeric option is not a number")
	if o["batch"] < 1 or o["batch"] > 100:
		usage("--batch 1 to 100")
	if o["draft13"] and o["batch"] != 1:
		usage("--draft13 sends one proof")
	if o["flow"] not in ("pre-auth",) + AUTH_FLOWS:
		usage("--flow pre-auth, auth-code or wallet-init")
	if o["flow"] == "wallet-init" and not o["config"]:
		usage("--flow wallet-init needs --config ID[,ID...]")
	if bool(o["wallet_key"]) != bool(o["wallet_cert"]):
		usage("--wallet-key and --wallet-cert go together")
	if bool(o["attester_key"]) != bool(o["attester_cert"]):
		usage("--attester-key and --attester-cert go together")
	if o["encrypt"] not in (None, "A128GCM", "A256GCM"):
		usage("--encrypt A128GCM or A256GCM")
	if o["proof_type"] not in ("jwt", "attestation"):
		usage("--proof-type jwt or attestation")
	return o, pos[0]


def main():
	o, offer = parse_args(sys.argv[1:])
	h = Holder(o)
	try:
		h.discover(read_offer_arg(offer))
		if o["flow"] in AUTH_FLOWS:
			if o["neg"] and o["neg"] not in AUTH_NEG:
				die("--neg %s: not a mode of the authorization code flow" % o["neg"])
			run_auth_code(h, o["neg"])
			if o["neg"]:
				h.result["neg"] = o["neg"]
		elif o["check_spent"]:
			h.result["spent_check"] = check_spent(h, o["check_spent"])
		elif o["neg"]:
			run_negative(h, o["neg"])
			h.result["neg"] = o["neg"]
		else:
			run_positive(h)
	except Fail as e:
		print("holder: %s" % e, file=sys.stderr)
		sys.exit(1)
	h.result["ok"] = True
	h.result["issuer"] = h.issuer
	h.result["spent"] = h.spent
	print(json.dumps(h.result, indent=None, sort_keys=True))


if __name__ == "__main__":
	main()
