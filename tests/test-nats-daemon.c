/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-nats-daemon.c: fleetd as a process (fake runtime, no bus) with a
 * nats:// source on a private nats-server: documents applied and updated,
 * bad documents rejected with nothing touched, harmony's layout, the server
 * down at start (fleetd runs from its persisted state) or restarted
 * mid-run, wrong credentials, a .creds file; all seen through the status fleetd puts into
 * the status bucket, as a control plane would see it.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "fleet-test-nats.h"
#include "fleet-test-utils.h"
#include "fleetd-nats-status.h"
#include "fleetd-status-reporter.h"

#define BUCKET "desired"
#define STATUS_BUCKET "fleet-status"
#define DEVICE "dev1"
#define STATUS_TIMEOUT_MSECS (20 * 1000)
#define WHOLE_TMPL                                                                          \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\"}]}}}}"
#define ENVELOPE_TMPL                                                                       \
  "{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":\"web\",\"image\":\"%s\"}]}}"

typedef struct
{
  FleetTestNats *nats;
  char *state_dir;
  char *config;
  char *log_path;
  GSubprocess *fleetd;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->nats = fleet_test_nats_new ();
  f->state_dir = g_build_filename (f->nats->dir, "state", NULL);
  f->config = g_build_filename (f->nats->dir, "fleetd.conf", NULL);
  f->log_path = g_build_filename (f->nats->dir, "fleetd.log", NULL);
  g_assert_true (g_file_set_contents (f->config, "[fleetd]\n", -1, NULL));
}

static int
stop_fleetd (Fixture *f)
{
  int status;

  g_subprocess_send_signal (f->fleetd, SIGTERM);
  g_assert_true (g_subprocess_wait (f->fleetd, NULL, NULL));
  status = g_subprocess_get_if_exited (f->fleetd) ? g_subprocess_get_exit_status (f->fleetd)
                                                  : -1;
  g_clear_object (&f->fleetd);
  return status;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->fleetd != NULL)
    stop_fleetd (f);
  g_clear_pointer (&f->nats, fleet_test_nats_free);
  g_free (f->state_dir);
  g_free (f->config);
  g_free (f->log_path);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
start_fleetd_with (Fixture *f, const char *extra)
{
  g_autofree char *fleetd = g_test_build_filename (G_TEST_BUILT, "..", "fleetd", "fleetd", NULL);
  g_autofree char *source = g_strdup_printf ("%s/%s", f->nats->url, BUCKET);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_set_stdout_file_path (launcher, f->log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, f->log_path);
  f->fleetd = g_subprocess_launcher_spawn (launcher, &error, fleetd, "--config", f->config,
                                           "--runtime", "fake", "--bus", "none", "--source",
                                           source, "--device-id", DEVICE, "--state-dir",
                                           f->state_dir, "--tick-interval", "1", extra, NULL);
  g_assert_no_error (error);
}

static void
start_fleetd (Fixture *f)
{
  start_fleetd_with (f, NULL);
}

static char *
read_log (Fixture *f)
{
  g_autofree char *log = NULL;

  g_file_get_contents (f->log_path, &log, NULL, NULL);
  return g_steal_pointer (&log);
}

static gboolean
log_contains (Fixture *f, const char *text)
{
  g_autofree char *log = read_log (f);

  return log != NULL && strstr (log, text) != NULL;
}

static void
wait_log (Fixture *f, const char *text)
{
  gint64 deadline = g_get_monotonic_time () + STATUS_TIMEOUT_MSECS * G_TIME_SPAN_MILLISECOND;

  while (!log_contains (f, text))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *log = read_log (f);

          g_error ("no \"%s\" in fleetd's log:\n%s", text, log);
        }
      fleet_test_sleep_ms (50);
    }
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The status in the status bucket, once it says @phase at @generation (and
 * a last fetch of @fetch_result, when given). */
static JsonNode *
wait_status (Fixture *f, const char *phase, gint64 generation, const char *fetch_result)
{
  gint64 deadline = g_get_monotonic_time () + STATUS_TIMEOUT_MSECS * G_TIME_SPAN_MILLISECOND;
  g_autofree char *last = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *status, *fetch;

      g_free (last);
      last = fleet_test_nats_get (f->nats, STATUS_BUCKET, DEVICE);
      node = last ? json_from_string (last, NULL) : NULL;
      status = node ? json_node_get_object (node) : NULL;
      fetch = status ? object_member (status, "last_fetch") : NULL;
      if (status != NULL && g_strcmp0 (json_object_get_string_member (status, "phase"), phase) == 0
          && json_object_get_int_member_with_default (status, "generation", -1) == generation
          && (fetch_result == NULL
              || (fetch != NULL
                  && g_strcmp0 (json_object_get_string_member (fetch, "result"), fetch_result)
                       == 0)))
        return g_steal_pointer (&node);
      fleet_test_sleep_ms (50);
    }
  g_error ("status never said %s at generation %" G_GINT64_FORMAT ": %s", phase, generation,
           last ? last : "(none)");
  return NULL;
}

static void
put_whole (Fixture *f, int generation, const char *image)
{
  g_autofree char *doc = g_strdup_printf (WHOLE_TMPL, generation, image);

  fleet_test_nats_put (f->nats, BUCKET, DEVICE, doc);
}

static gboolean
skip_or_start_server (Fixture *f)
{
  if (fleet_test_nats_skip_unless_available ())
    return TRUE;
  fleet_test_nats_start (f->nats);
  fleet_test_nats_create_bucket (f->nats, BUCKET);
  return FALSE;
}

/* Applied, updated, and a bad document rejected with nothing touched; how
 * long a put takes to be Running is printed, not asserted. */
static void
test_apply_update_reject (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) first = NULL, second = NULL, rejected = NULL;
  JsonObject *fetch;
  gint64 put_at;

  if (skip_or_start_server (f))
    return;
  put_whole (f, 1, "img:v1");
  start_fleetd (f);
  first = wait_status (f, "Running", 1, NULL);
  g_assert_true (json_object_has_member (json_node_get_object (first), "reported_at"));

  put_at = g_get_monotonic_time ();
  put_whole (f, 2, "img:v2");
  second = wait_status (f, "Running", 2, NULL);
  g_test_message ("a put was Running in the status bucket %.0f ms later",
                  (g_get_monotonic_time () - put_at) / 1000.0);

  fleet_test_nats_put (f->nats, BUCKET, DEVICE,
                       "{\"generation\":3,\"deployments\":{\"x\":{\"type\":\"Bogus\"}}}");
  rejected = wait_status (f, "Running", 2, "error");
  fetch = object_member (json_node_get_object (rejected), "last_fetch");
  g_test_message ("%s", json_object_get_string_member (fetch, "error"));
  g_assert_nonnull (strstr (json_object_get_string_member (fetch, "error"), "deployments.x"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (rejected),
                                                  "desired_digest"),
                   ==,
                   json_object_get_string_member (json_node_get_object (second),
                                                  "desired_digest"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Harmony's layout: two deployment keys, one document at the revision. */
static void
test_harmony_two_deployments (Fixture *f, gconstpointer data)
{
  g_autofree char *alpha = g_strdup_printf (ENVELOPE_TMPL, "img:a");
  g_autofree char *beta = g_strdup_printf (ENVELOPE_TMPL, "img:b");
  g_autoptr(JsonNode) status = NULL;
  JsonObject *deployments;
  guint64 revision;

  if (skip_or_start_server (f))
    return;
  fleet_test_nats_put (f->nats, BUCKET, DEVICE ".alpha", alpha);
  revision = fleet_test_nats_put (f->nats, BUCKET, DEVICE ".beta", beta);
  start_fleetd (f);
  status = wait_status (f, "Running", (gint64) revision, NULL);
  deployments = object_member (json_node_get_object (status), "deployments");
  g_assert_nonnull (deployments);
  g_assert_true (json_object_has_member (deployments, "alpha"));
  g_assert_true (json_object_has_member (deployments, "beta"));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* The server is down when fleetd starts: it runs from its persisted state,
 * and catches up once the server is back. */
static void
test_server_down_at_start (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) first = NULL, resumed = NULL, caught_up = NULL;

  if (skip_or_start_server (f))
    return;
  put_whole (f, 1, "img:v1");
  start_fleetd (f);
  first = wait_status (f, "Running", 1, NULL);
  g_assert_cmpint (stop_fleetd (f), ==, 0);
  fleet_test_nats_stop (f->nats);
  g_assert_true (g_file_set_contents (f->log_path, "", 0, NULL));

  start_fleetd (f);
  wait_log (f, "action=recover result=Running");
  wait_log (f, "cannot connect");
  fleet_test_nats_start (f->nats);
  resumed = wait_status (f, "Running", 1, NULL);
  put_whole (f, 2, "img:v2");
  caught_up = wait_status (f, "Running", 2, NULL);
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* Restarted mid-run: fleetd says it is back, reconnects and catches up
 * with what is put. */
static void
test_server_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonNode) first = NULL, back = NULL, caught_up = NULL;

  if (skip_or_start_server (f))
    return;
  put_whole (f, 1, "img:v1");
  start_fleetd (f);
  first = wait_status (f, "Running", 1, NULL);
  fleet_test_nats_stop (f->nats);
  wait_log (f, "disconnected from");
  fleet_test_nats_start (f->nats);
  /* Back, with nothing new: the failure is over. */
  back = wait_status (f, "Running", 1, "not-modified");
  put_whole (f, 2, "img:v2");
  caught_up = wait_status (f, "Running", 2, NULL);
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* The server refuses fleetd's credentials: one clear line in the log, and
 * fleetd runs on. */
static void
check_refused (Fixture *f)
{
  g_autofree char *log = NULL;
  const char *line;

  wait_log (f, "Authorization Violation");
  log = read_log (f);
  line = strstr (log, "Authorization Violation");
  while (line > log && line[-1] != '\n')
    line--;
  g_test_message ("%.*s", (int) (strchr (line, '\n') - line), line);
  g_assert_nonnull (g_subprocess_get_identifier (f->fleetd));
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

static void
test_wrong_credentials (Fixture *f, gconstpointer data)
{
  g_autofree char *password = g_build_filename (f->nats->dir, "password", NULL);
  g_autofree char *config = NULL;

  f->nats->user = g_strdup ("device");
  f->nats->password = g_strdup ("right");
  if (skip_or_start_server (f))
    return;
  g_assert_true (g_file_set_contents (password, "wrong\n", -1, NULL));
  config = g_strdup_printf ("[fleetd]\nnats-user=device\nnats-password-file=%s\n", password);
  g_assert_true (g_file_set_contents (f->config, config, -1, NULL));
  start_fleetd (f);
  check_refused (f);
}

/* Operator (JWT) mode: fleetd authenticates with --nats-creds-file. */
static void
test_creds (Fixture *f, gconstpointer data)
{
  g_autofree char *creds = NULL;
  g_autofree char *option = NULL;
  g_autoptr(JsonNode) status = NULL;

  fleet_test_nats_use_operator (f->nats);
  if (skip_or_start_server (f))
    return;
  creds = fleet_test_nats_write_creds (f->nats->operator_mode->account, NULL, f->nats->dir,
                                       DEVICE);
  option = g_strdup_printf ("--nats-creds-file=%s", creds);
  put_whole (f, 1, "img:creds");
  start_fleetd_with (f, option);
  status = wait_status (f, "Running", 1, NULL);
  g_assert_cmpint (stop_fleetd (f), ==, 0);
}

/* A .creds file of a user of an account the server's operator never
 * signed: refused like a wrong password. */
static void
test_creds_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetTestNkey) foreign = fleet_test_nkey_new (FLEET_TEST_NKEY_ACCOUNT);
  g_autofree char *creds = NULL;
  g_autofree char *option = NULL;

  fleet_test_nats_use_operator (f->nats);
  if (skip_or_start_server (f))
    return;
  creds = fleet_test_nats_write_creds (foreign, NULL, f->nats->dir, DEVICE);
  option = g_strdup_printf ("--nats-creds-file=%s", creds);
  start_fleetd_with (f, option);
  check_refused (f);
}

static char *
build_counting (gpointer user_data)
{
  guint *built = user_data;

  return g_strdup_printf ("{\"device_id\":\"" DEVICE "\",\"built\":%u}", ++*built);
}

/* 1: put, 2: not connected yet */
static void
on_put_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (fleet_nats_source_put_finish (FLEET_NATS_SOURCE (source), result, &error))
    *(int *) user_data = 1;
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
      *(int *) user_data = 2;
    }
}

/* The status is put again at every heartbeat, saying when, even when
 * nothing changed; and a change is put (coalesced) without waiting for it. */
static void
test_status_heartbeat (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = NULL;
  g_autoptr(FleetSource) source = NULL;
  g_autoptr(FleetdStatusSink) sink = NULL;
  g_autoptr(FleetdStatusReporter) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) probe = g_bytes_new_static ("{}", 2);
  FleetNatsSourceOptions options;
  g_autofree char *first = NULL;
  guint built = 0;
  int probed = 0;

  if (skip_or_start_server (f))
    return;
  put_whole (f, 1, "img:v1");
  fleet_nats_source_options_init (&options);
  options.device_id = DEVICE;
  uri = g_strdup_printf ("%s/%s", f->nats->url, BUCKET);
  source = fleet_nats_source_new (uri, &options, &error);
  g_assert_no_error (error);
  fleet_source_start (source);
  /* Connected once a put goes through. */
  while (probed != 1)
    {
      probed = 0;
      fleet_nats_source_put_async (FLEET_NATS_SOURCE (source), "probe", "k", probe, NULL,
                                   on_put_probed, &probed);
      while (probed == 0)
        g_main_context_iteration (NULL, TRUE);
      if (probed == 2)
        fleet_test_sleep_ms (50);
    }
  sink = fleetd_nats_status_new (FLEET_NATS_SOURCE (source), STATUS_BUCKET, DEVICE);
  status = fleetd_status_reporter_new (sink, build_counting, &built, NULL);
  fleetd_status_reporter_set_timing (status, 10, 200, 1000, 60 * 1000);
  fleetd_status_reporter_start (status);
  while (fleetd_status_reporter_get_sent_count (status) < 3)
    g_main_context_iteration (NULL, TRUE);
  first = fleet_test_nats_get (f->nats, STATUS_BUCKET, DEVICE);
  g_assert_nonnull (strstr (first, "\"reported_at\""));
  g_assert_nonnull (strstr (first, "\"built\":3"));
  fleetd_status_reporter_stop (status);
  fleet_source_stop (source);
}

/* --once fetches without the source started: it connects, waits for the
 * watch's initial values, applies them and exits 0 once Running. */
static void
test_once (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;
  g_autoptr(JsonNode) status = NULL;

  if (skip_or_start_server (f))
    return;
  put_whole (f, 4, "img:once");
  start_fleetd_with (f, "--once");
  g_assert_true (g_subprocess_wait (f->fleetd, NULL, NULL));
  log = read_log (f);
  g_test_message ("%s", log);
  g_assert_true (g_subprocess_get_if_exited (f->fleetd));
  g_assert_cmpint (g_subprocess_get_exit_status (f->fleetd), ==, 0);
  g_assert_nonnull (strstr (log, "generation=4"));
  g_clear_object (&f->fleetd);
  /* Its status reached the status bucket before it exited. */
  status = wait_status (f, "Running", 4, NULL);
}

/* --once with the server down fails at once, saying why. */
static void
test_once_server_down (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;

  if (fleet_test_nats_skip_unless_available ())
    return;
  start_fleetd_with (f, "--once");
  g_assert_true (g_subprocess_wait (f->fleetd, NULL, NULL));
  log = read_log (f);
  g_assert_true (g_subprocess_get_if_exited (f->fleetd));
  g_assert_cmpint (g_subprocess_get_exit_status (f->fleetd), ==, 1);
  g_assert_nonnull (strstr (log, "cannot connect to"));
  g_clear_object (&f->fleetd);
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  int status;

  fleet_test_init (&argc, &argv);
  ADD ("/nats-daemon/apply-update-reject", test_apply_update_reject);
  ADD ("/nats-daemon/harmony-two-deployments", test_harmony_two_deployments);
  ADD ("/nats-daemon/server-down-at-start", test_server_down_at_start);
  ADD ("/nats-daemon/server-restart", test_server_restart);
  ADD ("/nats-daemon/wrong-credentials", test_wrong_credentials);
  ADD ("/nats-daemon/creds", test_creds);
  ADD ("/nats-daemon/creds-refused", test_creds_refused);
  ADD ("/nats-daemon/status-heartbeat", test_status_heartbeat);
  ADD ("/nats-daemon/once", test_once);
  ADD ("/nats-daemon/once-server-down", test_once_server_down);
  status = g_test_run ();
  fleet_test_nats_shutdown ();
  return status;
}
