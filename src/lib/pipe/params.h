/* params.h - library messages in the command line's words. */
#ifndef VCI_PARAMS_H
#define VCI_PARAMS_H

#include <stddef.h>

/* Where the library writes a parameter in backquotes ("give `config`"),
 * the command line reads its option ("give --config"): msg with every
 * backquoted parameter of the table replaced, in buf (returned), or msg
 * itself when there is none or buf is too small. Used for messages on
 * stderr and in error records. */
const char *vci_cli_params(const char *msg, char *buf, size_t size);

/* A library message as the command line says it: the innermost
 * parameter of its leading "what: " chain ("issuer: digest_alg: ...")
 * that an option sets becomes that option ("issuer: --digest-alg: ...").
 * Returns msg itself, or buf (size bytes) holding the rewritten text. */
const char *vci_cli_message(const char *msg, char *buf, size_t size);

#endif
