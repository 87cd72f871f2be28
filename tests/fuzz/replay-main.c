/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Feeds every file of the given directories to LLVMFuzzerTestOneInput: the seed corpus as a
 * regression test in builds without libFuzzer. */
#include "config.h"

#include <glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int   argc,
      char *argv[])
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, &error);
      const char *name;

      if (dir == NULL)
        g_error ("%s", error->message);

      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          g_autofree char *contents = NULL;
          gsize length = 0;

          if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
            continue;
          if (!g_file_get_contents (path, &contents, &length, &error))
            g_error ("%s", error->message);
          LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
          count++;
        }
    }

  if (count == 0)
    g_error ("No seed found: a fuzz target needs a seed corpus");
  g_print ("%u seeds replayed\n", count);
  return 0;
}
