/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LD_PRELOAD for tests: before each free (), and each realloc () that moves a block, looks for a
 * secret in the whole block given up and, when it is there, prints where on stderr and exits 97:
 * a secret left in freed memory. The secret comes hex-encoded in PORTEUR_TEST_FREED_SECRET_HEX
 * (so that a copy of the environment does not hold it), decoded into static memory.
 *
 * Blocks that GIO frees itself are not checked: libsoup 3 copies every request body to the
 * connection through g_output_stream_splice_async (), whose buffer GIO frees without wiping — a
 * known limit (docs/DESIGN.md ## ca) that no caller of libsoup can change.
 *
 * Under ASan, run with ASAN_OPTIONS=verify_asan_link_order=0: these functions then come before
 * ASan's. */

static void (*real_free) (void *);
static void *(*real_realloc) (void *, size_t);
static char secret[256];
static size_t secret_len;
static int resolving;

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The secret, decoded once PORTEUR_TEST_FREED_SECRET_HEX can be read: under ASan the first free ()
 * comes from the sanitizer's own start-up, before getenv () sees the environment, so a lookup that
 * finds nothing is tried again at the next call. */
static void
load_secret (void)
{
  static int loaded;
  const char *hex;

  if (loaded || (hex = getenv ("PORTEUR_TEST_FREED_SECRET_HEX")) == NULL)
    return;
  loaded = 1;
  for (size_t i = 0; hex[2 * i] && hex[2 * i + 1] && i < sizeof secret; i++)
    {
      int hi = hex_value (hex[2 * i]), lo = hex_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        break;
      secret[i] = (char) (hi << 4 | lo);
      secret_len = i + 1;
    }
}

static void
init (void)
{
  resolving = 1;
  real_free = (void (*) (void *)) dlsym (RTLD_NEXT, "free");
  real_realloc = (void *(*) (void *, size_t)) dlsym (RTLD_NEXT, "realloc");
  resolving = 0;
}

static int
holds_secret (void *p)
{
  load_secret ();
  return p && secret_len && memmem (p, malloc_usable_size (p), secret, secret_len) != NULL;
}

static __attribute__ ((noinline)) void
found (void)
{
  static const char message[] = "freed-secret-check: a secret is in memory being freed\n";
  void *frames[32];
  int n = backtrace (frames, 32);

  /* GIO's own buffers (see above): frames 0 and 1 are ours, 2 the caller of free (), 3 its
   * caller (g_free () may stand between) */
  for (int i = 2; i < n && i <= 3; i++)
    {
      Dl_info info;

      if (dladdr (frames[i], &info) && info.dli_fname && strstr (info.dli_fname, "libgio-2.0"))
        return;
    }
  if (write (2, message, sizeof message - 1) < 0)
    _exit (98);
  backtrace_symbols_fd (frames, n, 2);
  _exit (97);
}

void
free (void *p)
{
  if (real_free == NULL)
    {
      if (resolving)
        return;   /* dlsym's own allocations during the lookup: left, once */
      init ();
    }
  if (holds_secret (p))
    found ();
  real_free (p);
}

void *
realloc (void *p, size_t size)
{
  int had;
  void *moved;

  if (real_realloc == NULL)
    {
      if (resolving)
        return NULL;
      init ();
    }
  had = holds_secret (p);
  moved = real_realloc (p, size);
  if (had && moved != NULL && moved != p)
    found ();
  return moved;
}
