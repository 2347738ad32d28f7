#!/usr/bin/python3
"""webhook-receiver.py - a loopback webhook receiver for the vci-serve
tests: verifies each delivery's signature as vci-serve(8) documents it and
records it.

usage: webhook-receiver.py PORT SECRET_FILE OUT [STATUS]

Listens on 127.0.0.1:PORT (0: a free port, printed on standard output as
"port N"). For each POST it checks

  webhook-signature: t=TS,v1=HEX
  HEX == hex(HMAC-SHA256(secret, TS + "." + body))   (constant-time compare)
  webhook-timestamp == TS, and webhook-id equals the body's id (eventId)

and appends one JSON line to OUT: {"verified": bool, "id", "path",
"body": the parsed body}. It answers STATUS (default 200).

A GET (a wallet's credential_offer_endpoint, or a tx_code delivery
channel) is recorded as {"get": true, "path": the path, "query": {name:
value} decoded} and answered STATUS too."""
import hashlib
import hmac
import http.server
import json
import sys
import urllib.parse


def main():
	port, secret_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
	status = int(sys.argv[4]) if len(sys.argv) > 4 else 200
	secret = open(secret_file, "rb").read().rstrip(b"\r\n")

	class H(http.server.BaseHTTPRequestHandler):
		def do_POST(self):
			n = int(self.headers.get("Content-Length", "0"))
			body = self.rfile.read(n)
			sig = self.headers.get("webhook-signature", "")
			ts = self.headers.get("webhook-timestamp", "")
			parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
			want = hmac.new(secret, parts.get("t", "").encode() + b"." + body,
					hashlib.sha256).hexdigest()
			try:
				doc = json.loads(body)
			except ValueError:
				doc = None
			eid = self.headers.get("webhook-id")
			ok = (parts.get("t") == ts and hmac.compare_digest(parts.get("v1", ""), want)
			      and isinstance(doc, dict) and eid in (doc.get("id"), doc.get("eventId")))
			with open(out, "a") as f:
				f.write(json.dumps({"verified": ok, "id": eid, "path": self.path,
						    "body": doc}) + "\n")
			self.send_response(status)
			self.send_header("Content-Length", "0")
			self.end_headers()

		def do_GET(self):
			u = urllib.parse.urlsplit(self.path)
			q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
			with open(out, "a") as f:
				f.write(json.dumps({"get": True, "path": u.path, "query": q}) + "\n")
			self.send_response(status)
			self.send_header("Content-Length", "0")
			self.end_headers()

		def log_message(self, *a):
			pass

	srv = http.server.HTTPServer(("127.0.0.1", port), H)
	print("port %d" % srv.server_address[1], flush=True)
	srv.serve_forever()


if __name__ == "__main__":
	main()
