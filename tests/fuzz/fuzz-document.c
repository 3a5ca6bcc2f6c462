/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-document.c: libFuzzer target for the desired-state document parser
 * (`make fuzz`), also replayed over its corpus by `make check`.
 *
 * Besides "no crash, no leak", it checks the parser's invariants on every
 * document it accepts: the canonical form parses to an equal document with
 * the same digests, and every error is one line naming a path.
 */
#include "config.h"

#include <fleet.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_round_trip (FleetDocument *document)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) again =
    fleet_document_new_from_bytes (document->canonical, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (fleet_document_equal (document, again));
  g_assert_cmpstr (document->digest, ==, again->digest);
  g_assert_cmpuint (document->deployments->len, ==, again->deployments->len);
  for (guint i = 0; i < document->deployments->len; i++)
    {
      FleetDeploymentSpec *a = document->deployments->pdata[i];
      FleetDeploymentSpec *b = again->deployments->pdata[i];

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpuint (a->services->len, ==, b->services->len);
      for (guint j = 0; j < a->services->len; j++)
        g_assert_cmpstr (((FleetServiceSpec *) a->services->pdata[j])->digest, ==,
                         ((FleetServiceSpec *) b->services->pdata[j])->digest);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) document =
    fleet_document_new_from_data ((const char *) data, size, NULL, &error);

  if (document == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FLEET_ERROR);
      g_assert_null (strchr (error->message, '\n'));
      g_assert_nonnull (strstr (error->message, ": "));
      return 0;
    }
  check_round_trip (document);
  return 0;
}
