/* file.h - output files written atomically. */
#ifndef VCI_FILE_H
#define VCI_FILE_H

#include "common.h"
#include <stdio.h>

/* Output written atomically: to a temporary file beside `path`, renamed
 * over it on commit; nothing is left behind on abort. NULL or "-" is
 * stdout (commit flushes it). */
typedef struct vci_out vci_out_t;
vci_out_t *vci_out_open(const char *path, vci_err_t *err);
FILE *vci_out_file(vci_out_t *o);
int vci_out_commit(vci_out_t *o, vci_err_t *err); /* frees o */
void vci_out_abort(vci_out_t *o);                  /* frees o */

#endif
