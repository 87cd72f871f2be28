/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "ca/porteur-ca-model.h"
#include "porteur-core.h"

/*
 * The CA's unblock cryptogram opens the holder's PIN: the bytes the CA client hands to the token
 * (porteur_ca_cryptogram_get_bytes (), over porteur_wiped_bytes_new ()) are wiped when freed.
 * Checked in a child of this program run under freed-secret-check.so, which exits 97 when a block
 * being freed holds the secret; a plain GBytes copy of the same bytes, the control, must make
 * that child fail, so the check sees what it looks for.
 */

static const guint8 cryptogram[16] = { 0x5a, 0x17, 0xc3, 0x88, 0x01, 0xfe, 0x42, 0x9b,
                                       0x6d, 0x20, 0xe4, 0x71, 0x3c, 0xaf, 0x05, 0xd9 };

static int
child (const char *mode)
{
  g_autoptr(GString) json = g_string_new ("{\"cryptogram\":\"");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  PorteurCaCryptogram *model;
  GBytes *bytes;

  for (gsize i = 0; i < sizeof cryptogram; i++)
    g_string_append_printf (json, "%02x", cryptogram[i]);
  g_string_append (json, "\"}");
  node = json_from_string (json->str, &error);
  g_assert_no_error (error);
  model = porteur_ca_cryptogram_new_from_json (node, &error);
  g_assert_no_error (error);
  bytes = porteur_ca_cryptogram_get_bytes (model);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), cryptogram, sizeof cryptogram);
  g_object_unref (model);
  if (g_str_equal (mode, "plain"))
    g_bytes_unref (g_bytes_new (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)));
  g_bytes_unref (bytes);
  return 0;
}

static int
run_child (const char *mode)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *preload = g_test_build_filename (G_TEST_BUILT, "ca", "freed-secret-check.so", NULL);
  g_autoptr(GString) hex = g_string_new (NULL);
  g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                                       ":verify_asan_link_order=0", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (self);
  g_assert_true (g_file_test (preload, G_FILE_TEST_EXISTS));
  for (gsize i = 0; i < sizeof cryptogram; i++)
    g_string_append_printf (hex, "%02x", cryptogram[i]);
  g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", preload, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_TEST_FREED_SECRET_HEX", hex->str, TRUE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, self, "--child", mode, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_cryptogram_wiped (void)
{
  g_assert_cmpint (run_child ("model"), ==, 0);
}

static void
test_check_sees_plain_copy (void)
{
  g_assert_cmpint (run_child ("plain"), ==, 97);
}

static void
test_wiped_bytes (void)
{
  g_autoptr(GBytes) empty = porteur_wiped_bytes_new (NULL, 0);
  g_autoptr(GBytes) copy = porteur_wiped_bytes_new (cryptogram, sizeof cryptogram);

  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
  /* a copy: the caller's buffer is not taken */
  g_assert_true (g_bytes_get_data (copy, NULL) != (gconstpointer) cryptogram);
  g_assert_cmpmem (g_bytes_get_data (copy, NULL), g_bytes_get_size (copy), cryptogram, sizeof cryptogram);
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--child"))
    return child (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/wiped/bytes", test_wiped_bytes);
  g_test_add_func ("/ca/wiped/cryptogram", test_cryptogram_wiped);
  g_test_add_func ("/ca/wiped/control-plain-copy", test_check_sees_plain_copy);
  return g_test_run ();
}
