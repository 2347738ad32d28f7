/* defn.h - placeholder, see the metadata module. */
#ifndef VCI_METADATA_H
#define VCI_METADATA_H
#include "common.h"
#endif
