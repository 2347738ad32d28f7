/* test-serve-wait.c - requests that wait for their store write do not
 * hold a worker thread: over HTTP on 127.0.0.1, more token requests (each
 * redeems its own pre-authorized code, one store write) than the server
 * has worker threads are sent while another connection holds
 * the database's write lock; all of them reach the store's queue (a
 * worker blocked on its commit would have stopped at one per thread),
 * and once the lock is released they share one or two commits and are
 * all answered. Counts from vci_store_stats, never times. */
#include "base/common.h"
#include "base/url.h"
#include "serve/serve.h"
#include "store/driver.h"
#include "store/store.h"
#include "serve-fixture.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 2
#define REQUESTS 12      /* more than THREADS */

/* A connection to addr ("127.0.0.1:PORT") with one token request for
 * the pre-authorized code sent. */
static int send_token(const char *addr, const char *code)
{
	char_auto_t *enc = code ? vci_url_encode(code, strlen(code), NULL, NULL) : NULL;
	char body[512], req[1024];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(addr, ':');
	int fd, blen, rlen;

	if (!enc || !colon)
		return -1;
	blen = snprintf(body, sizeof body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3A"
			"grant-type%%3Apre-authorized_code&pre-authorized_code=%s", enc);
	rlen = snprintf(req, sizeof req, "POST /token HTTP/1.1\r\nHost: issuer.example\r\n"
			"Content-Type: application/x-www-form-urlencoded\r\n"
			"Content-Length: %d\r\n\r\n%s", blen, body);
	if (blen < 0 || (size_t)blen >= sizeof body || rlen < 0 || (size_t)rlen >= sizeof req)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    write(fd, req, (size_t)rlen) != (ssize_t)rlen) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the answer on fd is a 200 with an access token (60 s at most). */
static int answered(int fd)
{
	char buf[4096];
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (len < sizeof buf - 1 && poll(&p, 1, 60000) == 1) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\"access_token\""))
			return strncmp(buf, "HTTP/1.1 200", 12) == 0;
	}
	return 0;
}

static int wait_queued(vci_store_t *st, uint64_t n)
{
	vci_store_stats_t s;

	for (int i = 0; i < 6000; i++) { /* up to 60 s on a loaded machine */
		vci_store_stats(st, &s);
		if (s.queued >= n)
			return 1;
		usleep(10000);
	}
	return 0;
}

int main(void)
{
	serve_fixture_t fx = { 0 };
	vci_serve_listen_t o = { .listen = "127.0.0.1:0", .threads = THREADS };
	vci_store_stats_t s0, s1;
	vci_err_t err = { 0 };
	vci_http_t *h = NULL;
	vci_db_t *db = NULL;
	char path[128];
	char *codes[REQUESTS] = { 0 };
	int fds[REQUESTS], sent = 0, ok = 0, queued, made = 0;

	if (!serve_fixture_up(&fx)) {
		tap_ok(0, "fixture");
		return tap_done();
	}
	h = vci_http_start(fx.s, &o, &err);
	tap_ok(h != NULL, "the server listens on %s (%s)", h ? vci_http_address(h) : "-",
	       err.msg);
	for (int i = 0; i < REQUESTS; i++)
		made += (codes[i] = serve_fixture_offer(&fx, "pid", NULL, 1)) != NULL;
	tap_is_int(made, REQUESTS, "%d offers imported", REQUESTS);
	snprintf(path, sizeof path, "%s/state/vci.db", fx.dir);
	db = vci_db_sqlite.open(path, VCI_DB_WRITER, &err);
	tap_ok(db && vci_db_sqlite.begin(db, &err) == 0,
	       "another connection holds the write lock (%s)", err.msg);
	vci_store_stats(fx.s->store, &s0);
	for (int i = 0; h && i < REQUESTS; i++)
		sent += (fds[i] = send_token(vci_http_address(h), codes[i])) >= 0;
	tap_is_int(sent, REQUESTS, "%d token requests sent to %d worker threads", REQUESTS,
		   THREADS);
	queued = wait_queued(fx.s->store, REQUESTS);
	tap_ok(queued, "all %d wait in the store's queue: no worker thread is held", REQUESTS);
	if (db) {
		vci_db_sqlite.rollback(db, NULL);
		vci_db_sqlite.close(db);
	}
	for (int i = 0; i < sent; i++) {
		ok += answered(fds[i]);
		close(fds[i]);
	}
	tap_is_int(ok, REQUESTS, "each answered 200 with its access token");
	vci_store_stats(fx.s->store, &s1);
	tap_is_int((long long)(s1.writes - s0.writes), REQUESTS, "%d writes", REQUESTS);
	tap_ok(s1.commits - s0.commits >= 1 && s1.commits - s0.commits <= 2,
	       "they shared %llu commit(s) (at most 2)",
	       (unsigned long long)(s1.commits - s0.commits));
	for (int i = 0; i < REQUESTS; i++)
		free(codes[i]);
	vci_http_stop(h, 5000);
	serve_fixture_down(&fx);
	return tap_done();
}
