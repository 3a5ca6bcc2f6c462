/* test-state.c: the persisted state file: round trip, atomic replacement,
 * and refusing corrupt files without crashing.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-test-utils.h"

#define DOC                                                                                 \
  "{\"generation\":4,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"           \
  "\"services\":[{\"name\":\"web\",\"image\":\"img\"}]}}}}"
#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static FleetState *
make_state (void)
{
  FleetState *state = fleet_state_new ();
  FleetDeploymentRecord *record;
  FleetServiceRecord *service;

  state->generation = 4;
  state->desired = fleet_test_document (DOC);
  record = fleet_state_ensure_deployment (state, "hello");
  record->phase = FLEET_PHASE_FAILED;
  record->last_error = g_strdup ("pulling img: \"quoted\"\nnewline");
  record->last_event_at = g_strdup ("2026-11-27T12:00:01Z");
  service = fleet_deployment_record_ensure_service (record, "web");
  service->container_id = g_strdup (ID);
  service->spec_digest = g_strdup ("sha256:abc");
  return state;
}

static void
test_round_trip (void)
{
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(GBytes) bytes = fleet_state_serialize (state);
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetState) loaded = fleet_state_deserialize (bytes, &error);
  FleetDeploymentRecord *record;
  FleetServiceRecord *service;
  g_autoptr(GBytes) again = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (loaded->generation, ==, 4);
  g_assert_true (fleet_document_equal (loaded->desired, state->desired));
  record = fleet_state_lookup_deployment (loaded, "hello");
  g_assert_cmpint (record->phase, ==, FLEET_PHASE_FAILED);
  g_assert_cmpstr (record->last_error, ==, "pulling img: \"quoted\"\nnewline");
  g_assert_cmpstr (record->last_event_at, ==, "2026-11-27T12:00:01Z");
  service = fleet_deployment_record_lookup_service (record, "web");
  g_assert_cmpstr (service->container_id, ==, ID);
  g_assert_cmpstr (service->spec_digest, ==, "sha256:abc");
  g_assert_true (fleet_state_has_container_id (loaded, ID));
  again = fleet_state_serialize (loaded);
  g_assert_true (g_bytes_equal (bytes, again));
}

static void
test_save_load (void)
{
  g_autofree char *dir = fleet_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "state.json", NULL);
  g_autoptr(FleetState) state = make_state ();
  g_autoptr(FleetState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_null (fleet_state_load (path, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_true (fleet_state_save (state, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* the save replaces, and leaves no temporary file behind */
  g_assert_true (fleet_state_save (state, path, &error));
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name (d))
      n++;
    g_assert_cmpuint (n, ==, 1);
  }
  loaded = fleet_state_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fleet_deployment_record_lookup_service (
                     fleet_state_lookup_deployment (loaded, "hello"), "web")->container_id,
                   ==, ID);
  fleet_test_rm_rf (dir);
}

static void
test_corrupt (void)
{
  const char *cases[] = {
    "",
    "{",
    "[]",
    "{\"version\":2,\"deployments\":{}}",
    "{\"version\":1}",
    "{\"version\":1,\"deployments\":{\"a\":{\"phase\":\"Sleeping\",\"services\":{}}}}",
    "{\"version\":1,\"deployments\":{\"a\":{\"phase\":\"Running\",\"services\":{\"s\":"
    "{\"container_id\":\"../../etc\"}}}}}",
    "{\"version\":1,\"desired\":{\"deployments\":[]},\"deployments\":{}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (cases[i], strlen (cases[i]));
      g_autoptr(GError) error = NULL;
      g_autoptr(FleetState) state = fleet_state_deserialize (bytes, &error);

      g_assert_null (state);
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
    }
}

/* A state file replaced by something that is not one is refused, not read. */
static void
test_not_a_file (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (fleet_state_load ("/dev/zero", &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_STATE_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/state/round-trip", test_round_trip);
  g_test_add_func ("/state/save-load", test_save_load);
  g_test_add_func ("/state/corrupt", test_corrupt);
  g_test_add_func ("/state/not-a-file", test_not_a_file);

  return g_test_run ();
}
