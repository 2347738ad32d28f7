/* libver.h - the libraries besides OpenSSL and jansson, as entries of a
 * tool's cli->libs for --version (cli.h): each entry's version function
 * is inline here, so that only a tool that names a library references it
 * and links it. Not thread-safe (libpq's is formatted into a static
 * buffer); --version runs before any thread. Versions as the libraries run, where they have a call;
 * libcbor has none, so its headers' version is given. */
#ifndef VCI_LIBVER_H
#define VCI_LIBVER_H

#include "cli.h"

#include <cbor.h>
#include <curl/curl.h>
#include <qrencode.h>
#include <sqlite3.h>
#include <zlib.h>
#ifdef VCI_WITH_PG
#include <libpq-fe.h>
#include <stdio.h>
#endif

#define VCI_LIBVER_STR_(x) #x
#define VCI_LIBVER_STR(x) VCI_LIBVER_STR_(x)

static inline const char *vci_libver_cbor(void)
{
	return VCI_LIBVER_STR(CBOR_MAJOR_VERSION) "." VCI_LIBVER_STR(CBOR_MINOR_VERSION) "."
		VCI_LIBVER_STR(CBOR_PATCH_VERSION);
}

static inline const char *vci_libver_curl(void)
{
	const curl_version_info_data *c = curl_version_info(CURLVERSION_NOW);

	return c && c->version ? c->version : LIBCURL_VERSION;
}

static inline const char *vci_libver_qrencode(void)
{
	return QRcode_APIVersionString();
}

static inline const char *vci_libver_zlib(void)
{
	return zlibVersion();
}

static inline const char *vci_libver_sqlite(void)
{
	return sqlite3_libversion();
}

#ifdef VCI_WITH_PG
/* PQlibVersion gives major * 10000 + minor (libpq 10 and later). */
static inline const char *vci_libver_pq(void)
{
	static char v[24];
	int n = PQlibVersion();

	snprintf(v, sizeof v, "%d.%d", n / 10000, n % 10000);
	return v;
}
#endif

#define VCI_LIB_CBOR { "libcbor", vci_libver_cbor }
#define VCI_LIB_CURL { "libcurl", vci_libver_curl }
#define VCI_LIB_QRENCODE { "libqrencode", vci_libver_qrencode }
#define VCI_LIB_ZLIB { "zlib", vci_libver_zlib }
/* the store's (src/store/): SQLite, and libpq where the PostgreSQL driver
 * is built */
#ifdef VCI_WITH_PG
#define VCI_LIB_STORE { "SQLite", vci_libver_sqlite }, { "libpq", vci_libver_pq }
#else
#define VCI_LIB_STORE { "SQLite", vci_libver_sqlite }
#endif
#define VCI_LIB_END { NULL, NULL }

#endif
