#!/bin/sh
# examples/serve/multi-host.sh - one issuer, two vci-serve hosts, one
# PostgreSQL database, on this machine only (the tools on PATH, Debian's
# postgresql package installed; no containers):
#   1. a throwaway PostgreSQL cluster (scripts/pg-cluster: initdb and
#      pg_ctl, a unix socket under /tmp, no TCP) and its database URL;
#   2. an issuer key and certificate, a status list;
#   3. host A on one loopback port (--db URL --state a): the first start
#      makes the key files in a/, which are copied to b/ as an operator
#      copies them to each host; host B on another port;
#   4. offers imported once, into the database (vci-serve import --db);
#   5. the holder simulator of the test suite (tests/serve/holder.py)
#      runs each flow with every request sent to the next host in turn,
#      as a load balancer would: token on one host, nonce on the other,
#      credential on the first;
#   6. the codes and c_nonces spent in 5 are refused by host B;
#   7. both hosts and the cluster are stopped.
# Nothing is left behind, whatever happens.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
holder=${VCI_HOLDER:-$top/tests/serve/holder.py}
cluster=$top/scripts/pg-cluster
py=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	"$cluster" stop "$work/pg" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work"

step() { printf '\n== %s\n' "$*"; }
free_port() {
	"$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start NAME PORT: a host of the issuer on 127.0.0.1:PORT, its key files in NAME/
start() {
	vci-serve run --issuer "$iss" --defn pid.json --key issuer.key --cert issuer.crt \
		--state "$1" --db "$db" --listen "127.0.0.1:$2" --status-list pid=pid.list \
		--log "$1.log" 2>"$1.err" &
	pids="$pids $!"
	i=0
	until curl -fsS -o /dev/null "http://127.0.0.1:$2/health" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 240 ] || { cat "$1.err" >&2; exit 1; }
		sleep 0.25
	done
	echo "host $1: listening on 127.0.0.1:$2"
}

step "1. a throwaway PostgreSQL cluster"
db=$("$cluster" start "$work/pg")
echo "database: $db"

step "2. issuer key and certificate, status list"
porta=$(free_port)
portb=$(free_port)
iss=http://127.0.0.1:$porta
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out issuer.key 2>/dev/null
openssl req -x509 -new -key issuer.key -subj "/CN=Example Issuer" -days 2 \
	-addext keyUsage=digitalSignature -out issuer.crt 2>/dev/null
"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d.pop("wallet_attestation_required", None)
d.get("key_binding", {}).pop("key_attestation_required", None)
json.dump(d, open("pid.json", "w"))' "$top/examples/definitions/pid.json"
vci-statuslist new --uri "$iss/status/pid" --output pid.list

step "3. two hosts of one issuer, the key files copied from the first"
start a "$porta"
cp -a a b
ls a
start b "$portb"

step "4. offers imported once, into the shared database"
for n in 1 2 3; do
	printf '{"claims":{"given_name":"Erika%d","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],"address":{"street_address":"Heidestr. 17","locality":"Berlin","postal_code":"51147","country":"DE"},"age_equal_or_over":{"18":true},"issuing_country":"DE","issuing_authority":"DE"}}\n' "$n"
done | vci-offer --issuer "$iss" --config pid --defn pid.json --no-progress >offers.ndjson
vci-serve import --db "$db" --state a offers.ndjson
"$py" -c 'import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["offer_link"])' offers.ndjson >links

step "5. each flow's requests spread over both hosts"
n=0
while read -r link; do
	n=$((n + 1))
	"$py" "$holder" "$link" --ca issuer.crt --connect-to "$porta,$portb" \
		--spent-log spent.ndjson >out.json
	"$py" -c 'import json, sys
r = json.load(open(sys.argv[1]))
st = [c["status"] for c in r["credentials"] if c.get("status")]
print("flow %s: %d credential(s), status list entries %s" % (sys.argv[2],
      len(r["credentials"]), ", ".join("%s#%d" % (s["uri"].rsplit("/", 1)[1], s["idx"])
                                        for s in st)))' out.json "$n"
done <links
for h in a b; do
	echo "host $h answered: $(grep -c '"status":200' "$h.log") requests with 200"
done

step "6. the codes and c_nonces spent, replayed on host B"
printf '{"claims":{"given_name":"Max","family_name":"Mustermann","birthdate":"1970-01-01","nationalities":["DE"],"address":{"street_address":"Heidestr. 17","locality":"Berlin","postal_code":"51147","country":"DE"},"age_equal_or_over":{"18":true},"issuing_country":"DE","issuing_authority":"DE"}}\n' |
	vci-offer --issuer "$iss" --config pid --defn pid.json --no-progress >last.ndjson
vci-serve import --db "$db" --state a last.ndjson >/dev/null
last=$("$py" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["offer_link"])' last.ndjson)
"$py" "$holder" "$last" --ca issuer.crt --connect-to "$portb" --check-spent spent.ndjson >check.json
"$py" -c 'import json, sys
r = json.load(open(sys.argv[1]))["spent_check"]
print("host B refused %d spent codes and %d spent c_nonces" % (r["codes"], r["c_nonces"]))' check.json

step "7. stop"
for p in $pids; do
	kill -TERM "$p"
	wait "$p" && echo "vci-serve $p exited with status 0"
done
pids=
"$cluster" stop "$work/pg"
echo "cluster stopped"
