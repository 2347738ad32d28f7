/* rand.h - random bytes for the per-credential hot path: salts, decoys,
 * digest IDs, mdoc randoms. */
#ifndef VCI_CRYPTO_RAND_H
#define VCI_CRYPTO_RAND_H

#include <stddef.h>
#include <stdint.h>

/* Fill out with n bytes from OpenSSL's CSPRNG, taken from the calling
 * thread's buffer, which is refilled VCI_RAND_BUF bytes at a time (one
 * RAND_bytes call, with its fork check and DRBG setup, for many
 * credentials). For values that are disclosed anyway (salts, randoms,
 * identifiers), never for key material: bytes handed out stay in the
 * buffer until it is refilled. After fork()
 * the child discards what it inherited (pthread_atfork), so that parent
 * and child never hand out the same bytes. n larger than the buffer is
 * drawn directly. Thread-safe (per-thread state, no lock). Returns 0, or
 * -1 if RAND_bytes failed (the OpenSSL error queue says why). */
int vci_rand_bytes(uint8_t *out, size_t n);

#define VCI_RAND_BUF 4096

#endif
