/* defn.c - placeholder until implemented. */
#include "common.h"
