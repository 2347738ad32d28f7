/* store-crash.c - the writer and the checker of the store's crash test
 * (tests/unit/store-crash.sh).
 *
 *   store-crash write WHERE ROUND   write until killed; after each
 *                                   operation returns, print what it made
 *                                   durable, one line each
 *   store-crash verify WHERE LOG... check that every line a killed writer
 *                                   printed still holds
 *
 * The writer runs several threads, each in a loop: add an offer and redeem
 * its code ("redeem R T I XID"), spend a c_nonce ("nonce R T I"), record
 * a status index for the exchange ("status R T I XID IDX"). A line is
 * printed only after its operation returned, so what the log holds was
 * reported as committed. verify finds each redeemed code spent and its
 * exchange there, each nonce spent, each status index taken, and the
 * database intact. */
#include "base/common.h"
#include "store/driver.h"
#include "store/store.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define CRASH_THREADS 4
#define CRASH_URI "https://i.example/status/crash"

static vci_store_t *crash_st;
static int crash_round;

static void hash_of(const char *s, uint8_t h[VCI_STORE_HASH])
{
	vci_store_hash(s, strlen(s), h);
}

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line) && write(STDOUT_FILENO, line, (size_t)n) != n)
		_exit(3);
}

static void die(const char *what, const vci_err_t *err)
{
	fprintf(stderr, "store-crash: %s: %s\n", what, err->msg);
	_exit(1);
}

/* One round of a writer thread: offer, redeem, nonce, status. */
static void crash_step(int t, long i)
{
	char id[64], code[64], xid[VCI_STORE_ID];
	uint8_t ch[VCI_STORE_HASH];
	vci_store_offer_t o = { 0 };
	vci_err_t err = { 0 };
	const char *uri = CRASH_URI;
	uint64_t idx = ((uint64_t)crash_round << 32) | ((uint64_t)t << 24) | (uint64_t)i;
	char nid[64];

	snprintf(id, sizeof(id), "o-%d-%d-%ld", crash_round, t, i);
	snprintf(code, sizeof(code), "code-%d-%d-%ld", crash_round, t, i);
	hash_of(code, ch);
	o.offer_id = id;
	o.code_hash = ch;
	o.offer = o.record = "{}";
	if (vci_store_offer_put(crash_st, &o, &err) != 0)
		die("offer_put", &err);
	if (vci_store_code_redeem(crash_st, ch, NULL, 1, xid, &err) != 0)
		die("redeem", &err);
	say("redeem %d %d %ld %s\n", crash_round, t, i, xid);
	snprintf(code, sizeof(code), "nonce-%d-%d-%ld", crash_round, t, i);
	hash_of(code, ch);
	if (vci_store_nonce_spend(crash_st, ch, INT64_MAX, &err) != 0)
		die("nonce_spend", &err);
	say("nonce %d %d %ld\n", crash_round, t, i);
	snprintf(nid, sizeof(nid), "n-%s", xid);
	if (vci_store_exchange_issued(crash_st, xid, "{}", nid, &uri, &idx, 1, 1, &err) != 0)
		die("exchange_issued", &err);
	say("status %d %d %ld %s %llu\n", crash_round, t, i, xid, (unsigned long long)idx);
}

static void *crash_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (long i = 0;; i++)
		crash_step(t, i);
	return NULL;
}

static int crash_write(const char *where, const char *round)
{
	pthread_t th[CRASH_THREADS];
	vci_err_t err = { 0 };

	crash_round = atoi(round);
	crash_st = vci_store_open(where, &err);
	if (!crash_st)
		die("open", &err);
	for (int t = 0; t < CRASH_THREADS; t++)
		pthread_create(&th[t], NULL, crash_thread, (void *)(intptr_t)t);
	for (int t = 0; t < CRASH_THREADS; t++)
		pthread_join(th[t], NULL);
	return 0;
}

/* Checking ---------------------------------------------------------------*/

static int check_redeem(vci_store_t *st, int r, int t, long i, const char *xid)
{
	char code[64], xcode[VCI_STORE_ID];
	uint8_t ch[VCI_STORE_HASH];
	vci_store_exchange_t x;
	vci_err_t err = { 0 };
	int ok;

	snprintf(code, sizeof(code), "code-%d-%d-%ld", r, t, i);
	hash_of(code, ch);
	ok = vci_store_code_redeem(st, ch, NULL, 1, xcode, &err) == VCI_STORE_NOTFOUND &&
	     vci_store_exchange_get(st, xid, &x, &err) == 0;
	vci_store_exchange_clear(&x);
	return ok;
}

static int check_nonce(vci_store_t *st, int r, int t, long i)
{
	char s[64];
	uint8_t h[VCI_STORE_HASH];
	vci_err_t err = { 0 };

	snprintf(s, sizeof(s), "nonce-%d-%d-%ld", r, t, i);
	hash_of(s, h);
	return vci_store_nonce_spend(st, h, INT64_MAX, &err) == VCI_STORE_EXISTS;
}

static int check_status(vci_store_t *st, const char *xid, unsigned long long idx)
{
	const char *uri = CRASH_URI;
	uint64_t v = idx;
	vci_store_exchange_t x;
	vci_err_t err = { 0 };
	int ok;

	ok = vci_store_exchange_get(st, xid, &x, &err) == 0 &&
	     strcmp(x.state, "credential_issued") == 0;
	vci_store_exchange_clear(&x);
	return ok && vci_store_exchange_issued(st, xid, "{}", "n-check", &uri, &v, 1, 1, &err) ==
			     VCI_STORE_EXISTS;
}

static int check_line(vci_store_t *st, const char *line)
{
	char kind[16], xid[VCI_STORE_ID];
	unsigned long long idx;
	int r, t;
	long i;

	if (sscanf(line, "redeem %d %d %ld %63s", &r, &t, &i, xid) == 4)
		return check_redeem(st, r, t, i, xid);
	if (sscanf(line, "nonce %d %d %ld", &r, &t, &i) == 3)
		return check_nonce(st, r, t, i);
	if (sscanf(line, "status %d %d %ld %63s %llu", &r, &t, &i, xid, &idx) == 5)
		return check_status(st, xid, idx);
	return sscanf(line, "%15s", kind) != 1; /* a blank line is fine */
}

/* Check one log: every complete line (a killed writer may leave the last
 * one cut). Returns the number of lines checked, or -1. */
static long check_log(vci_store_t *st, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	long n = 0;

	if (!f) {
		fprintf(stderr, "store-crash: %s: cannot open\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n'))
			break;
		if (!check_line(st, line)) {
			fprintf(stderr, "store-crash: %s: lost: %s", path, line);
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	return n;
}

static int check_integrity(const char *where)
{
	const vci_db_driver_t *drv = &vci_db_sqlite;
	vci_err_t err = { 0 };
	char *loc = drv->locate(where, 1, &err);
	vci_db_t *db = loc ? drv->open(loc, VCI_DB_READER, &err) : NULL;
	vci_db_stmt_t *s = db ? drv->prepare(db, "PRAGMA integrity_check", &err) : NULL;
	int ok = s && drv->step(s, &err) == VCI_DB_ROW &&
		 strcmp(drv->column_text(s, 0), "ok") == 0;

	drv->finalize(s);
	drv->close(db);
	free(loc);
	return ok;
}

static int crash_verify(const char *where, int nlogs, char **logs)
{
	vci_err_t err = { 0 };
	vci_store_t *st;
	long total = 0;

	if (!check_integrity(where)) {
		fprintf(stderr, "store-crash: integrity check failed\n");
		return 1;
	}
	st = vci_store_open(where, &err);
	if (!st)
		die("open", &err);
	for (int k = 0; k < nlogs; k++) {
		long n = check_log(st, logs[k]);

		if (n < 0) {
			vci_store_close(st);
			return 1;
		}
		total += n;
	}
	vci_store_close(st);
	printf("%ld\n", total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return crash_write(argv[2], argv[3]);
	if (argc >= 3 && strcmp(argv[1], "verify") == 0)
		return crash_verify(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: store-crash write DIR ROUND | verify DIR LOG...\n");
	return 2;
}
