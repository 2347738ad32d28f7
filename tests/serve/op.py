#!/usr/bin/python3
"""op.py - a stand-in OpenID Provider for the tests of vci-serve's
wallet-initiated flow, written from OpenID Connect Core 1.0 and Discovery
1.0 alone: http.server on 127.0.0.1 (a free port: 0), ID tokens signed
ES256 with python3-jwcrypto.

usage: op.py --port-file FILE --client FILE --claims FILE [--neg MODE]

It writes its port to FILE once it listens. --client holds the one client
it knows ({"client_id", "client_secret", "redirect_uri"}), --claims the
user's claims put in every ID token (sub included). It logs the user in at
once: GET /authorize answers 302 to the redirect_uri with a code, after
checking response_type=code, client_id, the exact redirect_uri, scope with
openid, state, nonce and an S256 code_challenge. POST /token takes the
code once, with client_secret_basic, the same redirect_uri and the PKCE
verifier, and answers an ID token carrying the nonce.

Negative modes (--neg): deny (the authorization answers
error=access_denied), bad-nonce, bad-aud, bad-iss, expired, bad-sig
(another key signs, with the published kid), token-error (the token
endpoint answers 400 invalid_grant). Every request is logged on standard
error; the process runs until killed."""
import base64, hashlib, http.server, json, secrets, sys, time, urllib.parse
from jwcrypto import jwk, jwt

ARGS = {}
CODES = {}
KEY = jwk.JWK.generate(kty="EC", crv="P-256", kid="op-key-1")
OTHER = jwk.JWK.generate(kty="EC", crv="P-256", kid="op-key-1")


def issuer():
	return "http://127.0.0.1:%d" % ARGS["port"]


class Handler(http.server.BaseHTTPRequestHandler):
	def answer(self, status, doc=None, location=None):
		body = json.dumps(doc).encode() if doc is not None else b""
		self.send_response(status)
		if location:
			self.send_header("Location", location)
		self.send_header("Content-Type", "application/json")
		self.send_header("Cache-Control", "no-store")
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		self.wfile.write(body)

	def do_GET(self):
		u = urllib.parse.urlsplit(self.path)
		if u.path == "/.well-known/openid-configuration":
			return self.answer(200, {
				"issuer": issuer(), "authorization_endpoint": issuer() + "/authorize",
				"token_endpoint": issuer() + "/token", "jwks_uri": issuer() + "/jwks",
				"response_types_supported": ["code"], "subject_types_supported": ["public"],
				"id_token_signing_alg_values_supported": ["ES256"],
				"code_challenge_methods_supported": ["S256"],
				"token_endpoint_auth_methods_supported": ["client_secret_basic"]})
		if u.path == "/jwks":
			return self.answer(200, {"keys": [json.loads(KEY.export_public())]})
		if u.path == "/authorize":
			return self.authorize(urllib.parse.parse_qs(u.query, strict_parsing=True))
		self.answer(404, {"error": "not_found"})

	def authorize(self, q):
		c = ARGS["client"]
		one = {k: v[0] for k, v in q.items() if len(v) == 1}
		if one.get("client_id") != c["client_id"] or one.get("redirect_uri") != c["redirect_uri"]:
			return self.answer(400, {"error": "invalid_request", "error_description": "client"})
		back = c["redirect_uri"] + "?"
		bad = None
		if one.get("response_type") != "code":
			bad = "response_type"
		elif "openid" not in one.get("scope", "").split():
			bad = "scope"
		elif not one.get("state") or not one.get("nonce"):
			bad = "state or nonce"
		elif one.get("code_challenge_method") != "S256" or len(one.get("code_challenge", "")) != 43:
			bad = "code_challenge"
		if bad:
			return self.answer(302, location=back + urllib.parse.urlencode(
				{"error": "invalid_request", "error_description": bad, "state": one.get("state", "")}))
		if ARGS["neg"] == "deny":
			return self.answer(302, location=back + urllib.parse.urlencode(
				{"error": "access_denied", "state": one["state"]}))
		code = secrets.token_urlsafe(24)
		CODES[code] = {"challenge": one["code_challenge"], "nonce": one["nonce"],
			       "redirect_uri": one["redirect_uri"]}
		self.answer(302, location=back + urllib.parse.urlencode({"code": code, "state": one["state"]}))

	def do_POST(self):
		if urllib.parse.urlsplit(self.path).path != "/token":
			return self.answer(404, {"error": "not_found"})
		n = int(self.headers.get("Content-Length") or 0)
		form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(n).decode()).items()}
		c = ARGS["client"]
		auth = self.headers.get("Authorization") or ""
		want = "Basic " + base64.b64encode(("%s:%s" % (urllib.parse.quote(c["client_id"], safe=""),
			urllib.parse.quote(c["client_secret"], safe=""))).encode()).decode()
		if auth != want:
			return self.answer(401, {"error": "invalid_client"})
		got = CODES.pop(form.get("code", ""), None)
		if ARGS["neg"] == "token-error" or got is None or form.get("grant_type") != "authorization_code":
			return self.answer(400, {"error": "invalid_grant"})
		if form.get("redirect_uri") != got["redirect_uri"]:
			return self.answer(400, {"error": "invalid_grant", "error_description": "redirect_uri"})
		v = form.get("code_verifier", "")
		ch = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode()
		if ch != got["challenge"]:
			return self.answer(400, {"error": "invalid_grant", "error_description": "PKCE"})
		now = int(time.time())
		claims = dict(ARGS["claims"])
		claims.update({"iss": issuer(), "aud": c["client_id"], "iat": now, "exp": now + 300,
			       "nonce": got["nonce"]})
		neg = ARGS["neg"]
		if neg == "bad-nonce":
			claims["nonce"] = "another-nonce"
		elif neg == "bad-aud":
			claims["aud"] = "another-client"
		elif neg == "bad-iss":
			claims["iss"] = "http://127.0.0.1:1"
		elif neg == "expired":
			claims["iat"], claims["exp"] = now - 3600, now - 1800
		t = jwt.JWT(header={"alg": "ES256", "kid": "op-key-1", "typ": "JWT"}, claims=claims)
		t.make_signed_token(OTHER if neg == "bad-sig" else KEY)
		self.answer(200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
				  "expires_in": 300, "id_token": t.serialize()})

	def log_message(self, fmt, *a):
		sys.stderr.write("op: " + (fmt % a) + "\n")


def main():
	a = sys.argv[1:]
	o = {"neg": None}
	while a:
		k = a.pop(0)
		if k in ("--port-file", "--client", "--claims", "--neg") and a:
			o[k[2:].replace("-", "_")] = a.pop(0)
		else:
			print(__doc__, file=sys.stderr)
			sys.exit(2)
	ARGS["client"] = json.load(open(o["client"]))
	ARGS["claims"] = json.load(open(o["claims"]))
	ARGS["neg"] = o["neg"]
	srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
	ARGS["port"] = srv.server_address[1]
	with open(o["port_file"] + ".tmp", "w") as f:
		f.write("%d\n" % ARGS["port"])
	import os
	os.rename(o["port_file"] + ".tmp", o["port_file"])
	srv.serve_forever()


if __name__ == "__main__":
	main()
