/* rand.c - per-thread buffered CSPRNG output (see rand.h). */
#include "rand.h"

#include <pthread.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

static _Thread_local struct {
	uint8_t b[VCI_RAND_BUF];
	size_t pos, len;      /* b[pos..len) not handed out yet */
	unsigned long gen;    /* fork generation the bytes belong to */
} pool;

/* Bumped in the child after every fork(): buffers of an older generation
 * are not used. */
static volatile unsigned long fork_gen = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void)
{
	fork_gen++;
}

static void atfork_register(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}

int vci_rand_bytes(uint8_t *out, size_t n)
{
	pthread_once(&atfork_once, atfork_register);
	if (pool.gen != fork_gen) {
		OPENSSL_cleanse(pool.b, sizeof pool.b);
		pool.pos = pool.len = 0;
		pool.gen = fork_gen;
	}
	if (n > sizeof pool.b / 2)
		return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
	if (pool.len - pool.pos < n) {
		if (RAND_bytes(pool.b, (int)sizeof pool.b) != 1) {
			pool.pos = pool.len = 0;
			return -1;
		}
		pool.pos = 0;
		pool.len = sizeof pool.b;
	}
	memcpy(out, pool.b + pool.pos, n);
	pool.pos += n;
	return 0;
}
