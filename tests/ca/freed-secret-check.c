/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LD_PRELOAD for tests: before each free (), looks for a secret in the whole block being freed
 * and, when it is there, says so on stderr and exits 97: a secret left in freed memory.
 * The secret comes hex-encoded in PORTEUR_TEST_FREED_SECRET_HEX (so that a copy of the
 * environment does not hold it) and is decoded into static memory. Under ASan, run with
 * ASAN_OPTIONS=verify_asan_link_order=0: this free () then comes before ASan's. */

static void (*real_free) (void *);
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

static void
init (void)
{
  const char *hex = getenv ("PORTEUR_TEST_FREED_SECRET_HEX");

  resolving = 1;
  real_free = (void (*) (void *)) dlsym (RTLD_NEXT, "free");
  for (size_t i = 0; hex && hex[2 * i] && hex[2 * i + 1] && i < sizeof secret; i++)
    {
      int hi = hex_value (hex[2 * i]), lo = hex_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        break;
      secret[i] = (char) (hi << 4 | lo);
      secret_len = i + 1;
    }
  resolving = 0;
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
  if (p && secret_len && memmem (p, malloc_usable_size (p), secret, secret_len))
    {
      static const char message[] = "freed-secret-check: a secret is in memory being freed\n";

      if (write (2, message, sizeof message - 1) < 0)
        _exit (98);
      _exit (97);
    }
  real_free (p);
}
