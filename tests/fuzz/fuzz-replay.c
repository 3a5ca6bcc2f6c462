/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-replay.c: run a fuzz target over every file of its corpus, as a
 * GLib test, so that `make check` (built with gcc, no libFuzzer needed)
 * keeps every input that once found a bug fixed.
 *
 *   test-fuzz-document [GLib test options]   (corpus: tests/fuzz/corpus/NAME)
 */
#include "config.h"

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
test_file (gconstpointer path)
{
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  LLVMFuzzerTestOneInput ((const guint8 *) contents, len);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autoptr(GDir) corpus = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *name;

  g_test_init (&argc, &argv, NULL);
  dir = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", FUZZ_CORPUS, NULL);
  corpus = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (corpus)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >, 0);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *test = g_strdup_printf ("/fuzz/%s/%s", FUZZ_CORPUS,
                                               (const char *) names->pdata[i]);

      g_test_add_data_func_full (test, g_steal_pointer (&path), test_file, g_free);
    }
  return g_test_run ();
}
