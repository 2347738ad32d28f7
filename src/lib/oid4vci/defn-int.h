/* defn-int.h - what defn.c, claims.c and import.c share and nobody else
 * sees: the claims tree's node, value type names, reserved claim names. */
#ifndef VCI_DEFN_INT_H
#define VCI_DEFN_INT_H

#include "defn.h"

/* A node of the claims tree: one per path prefix. */
struct vci_defn_node {
	vci_path_kind_t kind;
	const char *key;
	size_t index;
	vci_defn_node_t **kids;
	size_t nkids;
	long claim;       /* index into the claims table, -1 if only a prefix */
	int has_key, has_index, has_all;
};

/* A value type by its name in definitions; 0, or -1 if unknown. */
int vci_defn_vtype_parse(const char *s, vci_vtype_t *t);
/* How a value type is named in messages ("full-date"). */
const char *vci_defn_vtype_expect(vci_vtype_t t);
/* Whether k is in the NULL-terminated list. */
int vci_defn_in_list(const char *k, const char *const *list);
/* Claims that SD-JWT VC reserves: the issuer sets them (NULL-terminated). */
extern const char *const vci_defn_sdjwt_reserved[];

#endif
