/* csv.c - placeholder until implemented. */
#include "common.h"
