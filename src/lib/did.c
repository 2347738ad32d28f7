/* did.c - placeholder until implemented. */
#include "common.h"
