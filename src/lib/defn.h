/* defn.h - placeholder, see the defn module. */
#ifndef VCI_DEFN_H
#define VCI_DEFN_H
#include "common.h"
#endif
