/* b64url.c - placeholder until implemented. */
#include "common.h"
