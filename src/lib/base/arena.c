/* arena.c - per-thread arena behind jansson's allocator (see arena.h). */
#include "arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_ALIGN 16

static _Thread_local struct {
	unsigned char *base;
	size_t used;
	int open;
} arena;

static int installed;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void *arena_malloc(size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (!arena.open || need < n || need > VCI_ARENA_SIZE - arena.used)
		return malloc(n);
	p = arena.base + arena.used;
	arena.used += need;
	ARENA_UNPOISON(p, n);
	return p;
}

static int in_arena(const void *p)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)arena.base;

	return arena.base && a >= b && a < b + VCI_ARENA_SIZE;
}

static void arena_free(void *p)
{
	if (!in_arena(p))
		free(p);
}

static void install(void)
{
	json_set_alloc_funcs(arena_malloc, arena_free);
	installed = 1;
}

void vci_arena_install(void)
{
	pthread_once(&install_once, install);
}

void vci_arena_open(void)
{
	if (!installed)
		return;
	if (!arena.base) {
		arena.base = malloc(VCI_ARENA_SIZE);
		if (!arena.base)
			return;
		ARENA_POISON(arena.base, VCI_ARENA_SIZE);
	}
	arena.used = 0;
	arena.open = 1;
}

void vci_arena_close(void)
{
	if (arena.base && arena.used)
		ARENA_POISON(arena.base, arena.used);
	arena.used = 0;
	arena.open = 0;
}

int vci_arena_pause(void)
{
	int was = arena.open;

	arena.open = 0;
	return was;
}

void vci_arena_resume(int state)
{
	arena.open = state && arena.base;
}

void vci_arena_release(void)
{
	if (!arena.base)
		return;
	ARENA_UNPOISON(arena.base, VCI_ARENA_SIZE);
	free(arena.base);
	arena.base = NULL;
	arena.used = 0;
	arena.open = 0;
}

size_t vci_arena_used(void)
{
	return arena.used;
}

void vci_json_free(void *p)
{
	json_free_t f;

	json_get_alloc_funcs(NULL, &f);
	(f ? f : free)(p);
}
