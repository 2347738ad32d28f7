/* arena.h - a per-thread allocation arena for jansson, reset once per
 * record by the batch runner.
 *
 * jansson's allocator is process-wide (json_set_alloc_funcs); the one
 * installed here routes an allocation to the calling thread's arena while
 * that thread has it open (vci_arena_open .. vci_arena_close) and to
 * malloc otherwise. Freeing inside the arena costs nothing; the whole
 * arena is reclaimed when it is closed. A pointer that did not come from
 * the calling thread's arena is handed to free(), so JSON values made on
 * the heap (definitions, keys, signer state, values made on another
 * thread) may be released at any time, arena open or not.
 *
 * Contract for code running while an arena is open: nothing jansson
 * allocates may outlive vci_arena_close (do not store such a value, or a
 * string json_dumps returned, in anything that lives longer than the
 * record; wrap such work in vci_arena_pause / vci_arena_resume), and a
 * string from json_dumps is released with vci_json_free, never free().
 * An allocation larger than what is left in the arena comes from malloc.
 * Built with AddressSanitizer, the arena is poisoned when it is closed,
 * so that a value used after the reset is reported. */
#ifndef VCI_BASE_ARENA_H
#define VCI_BASE_ARENA_H

#include <stddef.h>

/* Install the allocator (once per process; thread-safe, idempotent).
 * Call before the first arena is opened. Values made with malloc before
 * it was installed may still be released after it. */
void vci_arena_install(void);
/* Open the calling thread's arena (its memory is allocated the first time,
 * VCI_ARENA_SIZE bytes). No-op (allocation stays on the heap) if the
 * allocator is not installed or the memory cannot be had. Not nested. */
void vci_arena_open(void);
/* Close and reset the calling thread's arena: everything allocated in it
 * since vci_arena_open is gone. */
void vci_arena_close(void);
/* Allocate on the heap until vci_arena_resume (for values that outlive
 * the record, made lazily during it). Returns the state to resume. */
int vci_arena_pause(void);
void vci_arena_resume(int state);
/* Release the calling thread's arena memory (at thread end). */
void vci_arena_release(void);
/* Bytes the calling thread's arena has handed out since it was opened
 * (tests). */
size_t vci_arena_used(void);
/* Free a string returned by json_dumps (jansson's allocator). */
void vci_json_free(void *p);

#define VCI_ARENA_SIZE (256u << 10)

#endif
