/* config.c - vci-serve's settings: one table read by the command line
 * (vci-serve.c hands each option to vci_serve_config_set) and by the
 * config file ("name = value" lines through the same function), so a
 * setting has one name, one check and one help text. */
#include "serve.h"
#include "base/url.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum {
	O_ISSUER, O_DEFN, O_KEY, O_CERT, O_KID, O_PASS, O_STATE, O_LISTEN, O_ADMIN_LISTEN,
	O_CONFIG, O_STATUS_LIST, O_DPOP, O_DPOP_NONCE, O_TOKEN_TTL, O_NONCE_TTL, O_TX_ATTEMPTS,
	O_BATCH_SIZE, O_THREADS, O_LOG, O_TLS_CERT, O_TLS_KEY, O_CLAIMS_HOOK, O_CLAIMS_HOOK_TIMEOUT,
	O_WEBHOOK, O_WEBHOOK_SECRET_FILE, O_SWEEP_INTERVAL, O_ENCRYPTION, O_PROFILE, O_TRUST,
	O_PAR, O_OIDC_ISSUER, O_OIDC_CLIENT, O_DB, O_OFFER_KEY, O_COUNT
};

const vci_serve_opt_t vci_serve_opts[] = {
	[O_ISSUER] = { "issuer", "URL", "the credential issuer identifier (https; http only for "
		       "127.0.0.1 or localhost)" },
	[O_DEFN] = { "defn", "FILE", "credential definitions (one or an array); repeatable" },
	[O_KEY] = { "key", "KEY", "the issuer's signing key (file or OSSL_STORE URI)" },
	[O_CERT] = { "cert", "CHAIN", "its certificate chain, leaf first (x5c, signed metadata, "
		     "mso_mdoc)" },
	[O_KID] = { "kid", "KID", "key id for the header, when there is no --cert" },
	[O_PASS] = { "pass", "SPEC", "passphrase of KEY: env:VAR, file:PATH or pass:TEXT" },
	[O_STATE] = { "state", "DIR", "state directory (SQLite database, DPoP nonce key)" },
	[O_LISTEN] = { "listen", "ADDR:PORT", "wallet-facing listener (default 127.0.0.1:8080; "
		       "port 0: any free port)" },
	[O_ADMIN_LISTEN] = { "admin-listen", "ADDR:PORT", "management listener (POST /offers; "
			     "off unless given)" },
	[O_CONFIG] = { "config", "FILE", "read settings from FILE (name = value lines); the "
		       "command line wins" },
	[O_STATUS_LIST] = { "status-list", "[ID=]FILE", "a status list file (vci-statuslist) for "
			    "definition ID or all, or db:NAME, the list NAME in the store; "
			    "repeatable" },
	[O_DPOP] = { "dpop", "MODE", "optional (default), required or off" },
	[O_DPOP_NONCE] = { "dpop-nonce", NULL, "require server-issued DPoP nonces" },
	[O_TOKEN_TTL] = { "token-ttl", "SECS", "access token lifetime (default 300)" },
	[O_NONCE_TTL] = { "nonce-ttl", "SECS", "c_nonce lifetime (default 300)" },
	[O_TX_ATTEMPTS] = { "tx-attempts", "N", "wrong tx_codes before a code dies (default 5)" },
	[O_BATCH_SIZE] = { "batch-size", "N", "most proofs in one credential request (default 10)" },
	[O_THREADS] = { "threads", "N", "worker threads (default 4)" },
	[O_LOG] = { "log", "FILE", "access log, one JSON line per request (default: standard "
		    "error); reopened on SIGHUP" },
	[O_TLS_CERT] = { "tls-cert", "FILE", "serve --listen over TLS with this certificate chain "
			 "(PEM), without a reverse proxy" },
	[O_TLS_KEY] = { "tls-key", "FILE", "its private key (PEM, unencrypted)" },
	[O_CLAIMS_HOOK] = { "claims-hook", "CMD", "run CMD (words, no shell) at issuance: the "
			    "exchange as JSON on its input, the claims from its output" },
	[O_CLAIMS_HOOK_TIMEOUT] = { "claims-hook-timeout", "SECS", "kill the claims hook after "
				    "SECS (default 5)" },
	[O_WEBHOOK] = { "webhook", "URL", "POST every lifecycle event to URL, signed; repeatable" },
	[O_WEBHOOK_SECRET_FILE] = { "webhook-secret-file", "FILE", "the HMAC secret of the "
				    "--webhook URLs" },
	[O_SWEEP_INTERVAL] = { "sweep-interval", "SECS", "delete expired rows (and report "
			       "expired offers) every SECS (default 60)" },
	[O_TRUST] = { "trust", "FILE", "trust anchors (PEM) of the wallet providers whose wallet "
		      "attestations authenticate clients, and of key attesters" },
	[O_PAR] = { "par", "MODE", "pushed authorization requests: required (default) or "
		    "optional" },
	[O_ENCRYPTION] = { "encryption", "MODE", "credential request and response encryption "
			   "(OpenID4VCI section 10): optional (default), required or off" },
	[O_PROFILE] = { "profile", "NAME", "haip: turn on what HAIP 1.0 requires (DPoP required "
			"with server nonces) and refuse settings and definitions that break it" },
	[O_OIDC_ISSUER] = { "oidc-issuer", "URL", "the OpenID Provider users log in at when a "
			    "wallet starts the authorization code flow (no issuer_state)" },
	[O_OIDC_CLIENT] = { "oidc-client", "FILE", "this server's client at --oidc-issuer: JSON "
			    "{client_id, client_secret}" },
	[O_DB] = { "db", "URL", "a PostgreSQL database that several vci-serve hosts share "
		   "(postgresql://..., postgres://... or pg:CONNINFO) instead of the SQLite "
		   "database of --state" },
	[O_OFFER_KEY] = { "offer-key", "FILE", "with --db: the offer seal key file, the same on "
			  "every host (default: offer.key in --state DIR)" },
	[O_COUNT] = { 0 },
};

void vci_serve_config_init(vci_serve_config_t *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "127.0.0.1:8080";
	c->dpop = VCI_DPOP_OPTIONAL;
	c->token_ttl = 300;
	c->nonce_ttl = 300;
	c->tx_attempts = 5;
	c->batch_size = 10;
	c->threads = 4;
	c->claims_hook_timeout = 5;
	c->sweep_interval = 60;
}

void vci_serve_config_clear(vci_serve_config_t *c)
{
	for (size_t i = 0; i < c->nowned; i++)
		vci_str_wipe(c->owned[i]); /* a pass:TEXT may be among them */
	free(c->owned);
	c->owned = NULL;
	c->nowned = 0;
}

#define bad(err, name, fmt, v) \
	vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--%s: " fmt, name, (v) ? (v) : "")

static int number(const char *name, const char *v, unsigned long min, unsigned long max,
		  unsigned long *out, vci_err_t *err)
{
	char *end;
	unsigned long n;

	errno = 0;
	if (!v || !isdigit((unsigned char)*v))
		return bad(err, name, "expected a number, got '%s'", v);
	n = strtoul(v, &end, 10);
	if (errno || *end)
		return bad(err, name, "expected a number, got '%s'", v);
	if (n < min || n > max) {
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--%s: %lu is out of "
				   "range (%lu to %lu)", name, n, min, max);
	}
	*out = n;
	return 0;
}

/* ADDR:PORT with an IPv4 address, a [IPv6] one or localhost. */
static int address_ok(const char *v)
{
	const char *colon = v ? strrchr(v, ':') : NULL;
	char *end;
	long port;

	if (!colon || colon == v || !colon[1])
		return 0;
	if (v[0] == '[' && colon[-1] != ']')
		return 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return !errno && !*end && port >= 0 && port <= 65535 && isdigit((unsigned char)colon[1]);
}

static int flag_value(const char *name, const char *v, int *out, vci_err_t *err)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(v, no[i]))
			return *out = 0, 0;
	}
	return bad(err, name, "expected true or false, got '%s'", v);
}

static int add_list(const char **list, size_t *n, size_t max, const char *name, const char *v,
		    vci_err_t *err)
{
	if (!*v)
		return bad(err, name, "empty%s", "");
	if (*n >= max)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--%s: at most %zu",
				   name, max);
	list[(*n)++] = v;
	return 0;
}

static int set_string(const char **field, const char *name, const char *v, vci_err_t *err)
{
	if (!*v)
		return bad(err, name, "empty%s", "");
	*field = v;
	return 0;
}

static int set_number(vci_serve_config_t *c, int i, const char *v, vci_err_t *err)
{
	const char *name = vci_serve_opts[i].name;
	unsigned long n;

	switch (i) {
	case O_TOKEN_TTL:
	case O_NONCE_TTL:
		if (number(name, v, 1, 86400, &n, err) < 0)
			return -1;
		*(i == O_TOKEN_TTL ? &c->token_ttl : &c->nonce_ttl) = (long)n;
		return 0;
	case O_TX_ATTEMPTS:
		return number(name, v, 1, 100, &n, err) < 0 ? -1 : (c->tx_attempts = (unsigned)n, 0);
	case O_BATCH_SIZE:
		return number(name, v, 1, 100, &n, err) < 0 ? -1 : (c->batch_size = (unsigned)n, 0);
	case O_CLAIMS_HOOK_TIMEOUT:
		return number(name, v, 1, 600, &n, err) < 0 ? -1 : (c->claims_hook_timeout = (long)n, 0);
	case O_SWEEP_INTERVAL:
		return number(name, v, 1, 86400, &n, err) < 0 ? -1 : (c->sweep_interval = (long)n, 0);
	default:
		return number(name, v, 1, 256, &n, err) < 0 ? -1 : (c->threads = (unsigned)n, 0);
	}
}

static int set_one(vci_serve_config_t *c, int i, const char *v, vci_err_t *err)
{
	const char *name = vci_serve_opts[i].name;

	switch (i) {
	case O_ISSUER: return set_string(&c->issuer, name, v, err);
	case O_KEY: return set_string(&c->key, name, v, err);
	case O_CERT: return set_string(&c->cert, name, v, err);
	case O_KID: return set_string(&c->kid, name, v, err);
	case O_PASS: return set_string(&c->pass, name, v, err);
	case O_STATE: return set_string(&c->state, name, v, err);
	case O_DB:
		if (!vci_store_is_db(v))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--db: expected "
					   "postgresql://..., postgres://... or pg:CONNINFO");
		c->db = v;
		return 0;
	case O_OFFER_KEY: return set_string(&c->offer_key, name, v, err);
	case O_LOG: return set_string(&c->log, name, v, err);
	case O_TLS_CERT: return set_string(&c->tls_cert, name, v, err);
	case O_TLS_KEY: return set_string(&c->tls_key, name, v, err);
	case O_CLAIMS_HOOK: return set_string(&c->claims_hook, name, v, err);
	case O_WEBHOOK_SECRET_FILE: return set_string(&c->webhook_secret_file, name, v, err);
	case O_PROFILE:
		if (vci_profile_parse(v, &c->profile, err) < 0)
			return -1;
		if (c->profile == VCI_PROFILE_HAIP && !c->given[O_DPOP])
			c->dpop = VCI_DPOP_REQUIRED;
		if (c->profile == VCI_PROFILE_HAIP && !c->given[O_DPOP_NONCE])
			c->dpop_nonce = 1;
		return 0;
	case O_ENCRYPTION:
		if (!strcmp(v, "optional"))
			c->encryption = VCI_ENCRYPTION_OPTIONAL;
		else if (!strcmp(v, "required"))
			c->encryption = VCI_ENCRYPTION_REQUIRED;
		else if (!strcmp(v, "off"))
			c->encryption = VCI_ENCRYPTION_OFF;
		else
			return bad(err, name, "expected optional, required or off, got '%s'", v);
		return 0;
	case O_TRUST: return set_string(&c->trust, name, v, err);
	case O_OIDC_ISSUER:
		if (!vci_url_is_target(v, 0))
			return bad(err, name, "expected an https URL (http only on 127.0.0.1 or "
				   "localhost), got '%s'", v);
		return set_string(&c->oidc_issuer, name, v, err);
	case O_OIDC_CLIENT: return set_string(&c->oidc_client, name, v, err);
	case O_PAR:
		if (strcmp(v, "required") && strcmp(v, "optional"))
			return bad(err, name, "expected required or optional, got '%s'", v);
		c->par_optional = !strcmp(v, "optional");
		return 0;
	case O_WEBHOOK: return add_list(c->webhook, &c->nwebhook, VCI_SERVE_WEBHOOK_MAX, name, v, err);
	case O_DEFN: return add_list(c->defn, &c->ndefn, VCI_SERVE_DEFN_MAX, name, v, err);
	case O_STATUS_LIST:
		return add_list(c->status_list, &c->nstatus_list, VCI_SERVE_STATUS_MAX, name, v, err);
	case O_LISTEN:
	case O_ADMIN_LISTEN:
		if (!address_ok(v))
			return bad(err, name, "expected ADDR:PORT (127.0.0.1:8080, [::1]:8080), got "
				   "'%s'", v);
		*(i == O_LISTEN ? &c->listen : &c->admin_listen) = v;
		return 0;
	case O_DPOP:
		if (!strcmp(v, "optional"))
			c->dpop = VCI_DPOP_OPTIONAL;
		else if (!strcmp(v, "required"))
			c->dpop = VCI_DPOP_REQUIRED;
		else if (!strcmp(v, "off"))
			c->dpop = VCI_DPOP_OFF;
		else
			return bad(err, name, "expected optional, required or off, got '%s'", v);
		return 0;
	default:
		return set_number(c, i, v, err);
	}
}

int vci_serve_config_set(vci_serve_config_t *c, const char *name, const char *value,
			 int from_file, vci_err_t *err)
{
	int i;

	for (i = 0; i < O_COUNT; i++)
		if (!strcmp(vci_serve_opts[i].name, name))
			break;
	if (i == O_COUNT)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "unknown setting '%s'",
				   name);
	if (from_file && c->given[i] == 1)
		return 0;
	/* a list the command line gives replaces the config file's */
	if (!from_file && c->given[i] == 2 && i == O_DEFN)
		c->ndefn = 0;
	if (!from_file && c->given[i] == 2 && i == O_STATUS_LIST)
		c->nstatus_list = 0;
	if (!from_file && c->given[i] == 2 && i == O_WEBHOOK)
		c->nwebhook = 0;
	if (i == O_CONFIG) {
		if (from_file)
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "config: a config "
					   "file cannot name another");
		c->given[i] = 1;
		return vci_serve_config_file(c, value, err);
	}
	if (i == O_DPOP_NONCE && !value)
		c->dpop_nonce = 1;
	else if (i == O_DPOP_NONCE && flag_value(name, value, &c->dpop_nonce, err) < 0)
		return -1;
	else if (!value && i != O_DPOP_NONCE)
		return bad(err, name, "needs a value%s", "");
	else if (i != O_DPOP_NONCE && set_one(c, i, value, err) < 0)
		return -1;
	c->given[i] = from_file ? 2 : 1;
	return 0;
}

/* One "name = value" line: name and value trimmed, value unquoted.
 * Returns 0 (blank or comment: *name NULL), or -1 for a bad line. */
static int split_line(char *line, char **name, char **value)
{
	char *eq, *end;

	*name = *value = NULL;
	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return -1;
	for (end = eq; end > line && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	for (eq++; isspace((unsigned char)*eq); eq++)
		;
	for (end = eq + strlen(eq); end > eq && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	if (end - eq >= 2 && eq[0] == '"' && end[-1] == '"') {
		end[-1] = '\0';
		eq++;
	}
	*name = line;
	*value = eq;
	return **name ? 0 : -1;
}

static int keep_string(vci_serve_config_t *c, const char *v, char **out)
{
	char **n = realloc(c->owned, (c->nowned + 1) * sizeof *n);

	if (!n)
		return -1;
	c->owned = n;
	*out = c->owned[c->nowned] = strdup(v);
	if (!*out)
		return -1;
	c->nowned++;
	return 0;
}

int vci_serve_config_file(vci_serve_config_t *c, const char *path, vci_err_t *err)
{
	char_auto_t *text = NULL;
	char *save = NULL, *line;
	size_t len, lineno = 0;

	text = vci_read_file(path, 1u << 20, &len, err);
	if (!text)
		return vci_err_prefix(err, "--config"), err->status = VCI_EXIT_IO, -1;
	if (strlen(text) != len)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--config: %s: a NUL "
				   "byte", path);
	/* strtok_r would skip empty lines and miscount: split by hand */
	for (line = text; line; line = save) {
		char *name, *value, *kept;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (split_line(line, &name, &value) < 0)
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--config: %s:%zu: "
					   "expected name = value", path, lineno);
		if (!name)
			continue;
		if (keep_string(c, value, &kept) < 0)
			return vci_err_oom(err);
		if (vci_serve_config_set(c, name, kept, 1, err) < 0)
			return vci_err_prefix(err, "--config: %s:%zu", path, lineno);
	}
	return 0;
}

int vci_serve_config_check(const vci_serve_config_t *c, vci_err_t *err)
{
	if (!c->issuer)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--issuer URL is required");
	if (!c->ndefn)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--defn FILE is required");
	if (!c->key)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--key KEY is required");
	if (!c->cert && !c->kid)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "give --cert CHAIN (x5c) "
				   "or --kid KID");
	if (!c->state)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", c->db ? "--state DIR is "
				   "required (with --db it holds the key files every host shares)"
				   : "--state DIR is required");
	if (c->offer_key && !c->db)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--offer-key is for --db "
				   "(the SQLite store keeps its key beside the database)");
	if (!c->tls_cert != !c->tls_key)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--tls-cert and --tls-key "
				   "go together");
	if (c->nwebhook && !c->webhook_secret_file)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--webhook needs "
				   "--webhook-secret-file FILE");
	if (c->dpop == VCI_DPOP_OFF && c->dpop_nonce)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--dpop-nonce needs DPoP "
				   "(--dpop optional or required)");
	if (c->admin_listen && c->listen && !strcmp(c->admin_listen, c->listen) &&
	    strcmp(strrchr(c->listen, ':'), ":0"))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--admin-listen: the "
				   "same address as --listen");
	return 0;
}

/* With --db the key file is --offer-key, or offer.key in --state DIR (the
 * directory made 0700 when missing); neither: NULL (the store then opens
 * without one, and refuses to seal or open offers). */
static const char *store_key(const vci_serve_config_t *c, char *buf, size_t n, vci_err_t *err)
{
	if (c->offer_key)
		return c->offer_key;
	if (!c->state)
		return NULL;
	if (mkdir(c->state, 0700) < 0 && errno != EEXIST) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "state: %s: %s", c->state,
			    strerror(errno));
		return NULL;
	}
	snprintf(buf, n, "%s/offer.key", c->state);
	return buf;
}

vci_store_t *vci_serve_config_store(const vci_serve_config_t *c, int need_key, vci_err_t *err)
{
	char buf[4096];
	const char *key;

	if (!c->db && !c->state) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--state DIR is required (or "
			    "--db URL, a database several hosts share)");
		return NULL;
	}
	if (!c->db) {
		if (c->offer_key) {
			vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--offer-key is for --db");
			return NULL;
		}
		return vci_store_open(c->state, err);
	}
	err->status = 0;
	key = store_key(c, buf, sizeof buf, err);
	if (!key && err->status)
		return NULL;
	if (!key && need_key) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--db needs the offer key file "
			    "the hosts share: --offer-key FILE, or --state DIR holding offer.key");
		return NULL;
	}
	return vci_store_open_key(c->db, key, err);
}
