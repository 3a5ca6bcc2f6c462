/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman-registry.c: pulls from a private registry.  A real registry
 * (Debian's docker-registry) listens on 127.0.0.1 with htpasswd
 * authentication and TLS from a throwaway CA, which the private podman
 * service trusts through a certs.d directory in its home; a test image is
 * pushed to it.  Through the real reconciler: the pull with the right
 * credentials (fleetd's registry-auth-file) works; without them, or with a
 * wrong password, the deployment is Failed with the registry's refusal and
 * the version running is untouched.
 */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include "fleet-podman-harness.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define USER "fleet"
#define PASSWORD "s3cr/t?pw"

#define DOC                                                                                  \
  "{\"generation\":%d,\"deployments\":{\"shop\":{\"type\":\"PodmanV0\",\"data\":{"           \
  "\"services\":[{\"name\":\"app\",\"image\":\"127.0.0.1:%u/fleet/app:%s\"}],"               \
  "\"lifecycle\":{\"grace_period_secs\":1}}}}}"

typedef struct
{
  FleetPodmanHarness *h;
  char *dir;
  GSubprocess *registry;
  guint port;
  char *good_auth;  /* auth.json with the right password */
  char *wrong_auth; /* and with a wrong one */
  FleetPodmanRuntime *runtime;
  FleetReconciler *reconciler;
  char *state_dir;
} Fixture;

static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
run_ok (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);

  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (child, NULL, &error));
  g_assert_no_error (error);
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static char *
auth_json (Fixture *f, const char *name, const char *password)
{
  g_autofree char *pair = g_strdup_printf ("%s:%s", USER, password);
  g_autofree char *auth = g_base64_encode ((const guchar *)pair, strlen (pair));
  g_autofree char *json
      = g_strdup_printf ("{\"auths\":{\"127.0.0.1:%u\":{\"auth\":\"%s\"}}}", f->port, auth);

  return write_file (f, name, json);
}

/* The registry's certificates, password file and configuration. */
static void
configure_registry (Fixture *f)
{
  g_autofree char *gen = g_test_build_filename (G_TEST_DIST, "gen-test-certs.sh", NULL);
  g_autofree char *htpasswd = g_build_filename (f->dir, "htpasswd", NULL);
  g_autofree char *config = NULL;
  g_autofree char *yaml = NULL;
  const char *certs[] = { "/bin/sh", gen, f->dir, NULL };
  const char *users[] = { "htpasswd", "-Bbc", htpasswd, USER, PASSWORD, NULL };

  run_ok (certs);
  run_ok (users);
  yaml = g_strdup_printf ("version: 0.1\n"
                          "storage:\n  filesystem:\n    rootdirectory: %s/data\n"
                          "http:\n  addr: 127.0.0.1:%u\n"
                          "  tls:\n    certificate: %s/server.pem\n    key: %s/server.key\n"
                          "auth:\n  htpasswd:\n    realm: fleet-test\n    path: %s\n",
                          f->dir, f->port, f->dir, f->dir, htpasswd);
  config = write_file (f, "config.yml", yaml);
}

static gboolean
registry_answers (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection
      = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, NULL);

  return connection != NULL;
}

static void
start_registry (Fixture *f)
{
  g_autoptr(GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                   | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *config = g_build_filename (f->dir, "config.yml", NULL);
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  f->registry = g_subprocess_launcher_spawn (launcher, &error, "docker-registry", "serve", config,
                                             NULL);
  g_assert_no_error (error);
  while (!registry_answers (f))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      fleet_test_sleep_ms (100);
    }
}

/* The podman service trusts the test CA for this registry: containers'
 * per-host certs.d directory in its home. */
static void
trust_ca (Fixture *f)
{
  g_autofree char *host = g_strdup_printf ("127.0.0.1:%u", f->port);
  g_autofree char *certs = g_build_filename (fleet_podman_harness_get_dir (f->h), ".config",
                                             "containers", "certs.d", host, NULL);
  g_autofree char *ca = g_build_filename (f->dir, "ca.pem", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *target = g_build_filename (certs, "ca.crt", NULL);

  g_assert_no_errno (g_mkdir_with_parents (certs, 0700));
  g_assert_true (g_file_get_contents (ca, &contents, NULL, NULL));
  g_assert_true (g_file_set_contents (target, contents, -1, NULL));
}

static void
push (Fixture *f, const char *tag)
{
  g_autofree char *source = g_strdup_printf ("localhost/fleet-test:%s", tag);
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%u/fleet/app:%s", f->port, tag);
  g_autoptr(GError) error = NULL;

  fleet_podman_harness_podman (f->h, NULL, &error, "push", "--quiet", "--creds",
                               USER ":" PASSWORD, source, target, NULL);
  g_assert_no_error (error);
}

static const char *
missing_tool (void)
{
  static const char *const tools[] = { "docker-registry", "htpasswd", "openssl" };

  for (gsize i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (tools[i]);

      if (path == NULL)
        return tools[i];
    }
  return NULL;
}

static void
new_agent (Fixture *f, const char *auth_file)
{
  f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
  fleet_podman_runtime_set_registry_auth_file (f->runtime, auth_file);
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), f->state_dir);
  /* no retry while the test looks */
  fleet_reconciler_set_retry_backoff (f->reconciler, 600 * 1000, 600 * 1000);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *missing = missing_tool ();

  f->state_dir = fleet_test_make_tmpdir ();
  if (missing != NULL)
    {
      g_autofree char *why = g_strdup_printf ("%s is not installed", missing);

      g_test_skip (why);
      return;
    }
  f->h = fleet_podman_harness_require ();
  if (f->h == NULL)
    return;
  f->dir = fleet_test_make_tmpdir ();
  f->port = free_port ();
  configure_registry (f);
  start_registry (f);
  trust_ca (f);
  push (f, "v1");
  push (f, "v2");
  f->good_auth = auth_json (f, "auth.json", PASSWORD);
  f->wrong_auth = auth_json (f, "wrong.json", "not-the-password");
}

static void
on_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, NULL);
  *(gboolean *)user_data = TRUE;
}

static void
stop_agent (Fixture *f)
{
  gboolean done = FALSE;

  if (f->reconciler == NULL)
    return;
  fleet_reconciler_shutdown_async (f->reconciler, NULL, on_shut_down, &done);
  fleet_test_wait (&done);
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  stop_agent (f);
  if (f->registry != NULL)
    {
      g_subprocess_force_exit (f->registry);
      g_subprocess_wait (f->registry, NULL, NULL);
      g_clear_object (&f->registry);
    }
  if (f->h != NULL)
    fleet_podman_harness_reset (f->h);
  if (f->dir != NULL)
    fleet_test_rm_rf (f->dir);
  fleet_test_rm_rf (f->state_dir);
  g_free (f->dir);
  g_free (f->state_dir);
  g_free (f->good_auth);
  g_free (f->wrong_auth);
}

static FleetDocument *
app_doc (Fixture *f, int generation, const char *tag)
{
  g_autofree char *json = g_strdup_printf (DOC, generation, f->port, tag);

  return fleet_test_document (json);
}

static const char *
status_of (Fixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  fleet_podman_harness_podman (f->h, &out, &error, "inspect", "--format", "{{.State.Status}}",
                               id, NULL);
  g_assert_no_error (error);
  return g_intern_string (g_strstrip (out));
}

static void
test_pull_with_credentials (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetDocument) v1 = NULL;

  if (f->h == NULL)
    return;
  v1 = app_doc (f, 1, "v1");
  new_agent (f, f->good_auth);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  g_assert_cmpstr (status_of (f, fleet_test_recorded_id (f->reconciler, "shop", "app")), ==,
                   "running");
}

/* Refused by the registry: Failed with why; v1 runs on, the same container. */
static void
assert_refused (Fixture *f, const char *auth_file)
{
  g_autoptr(FleetDocument) v1 = app_doc (f, 1, "v1");
  g_autoptr(FleetDocument) v2 = app_doc (f, 2, "v2");
  g_autofree char *id = NULL;
  const FleetDeploymentRecord *record;

  new_agent (f, f->good_auth);
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v1), ==, FLEET_PHASE_RUNNING);
  id = g_strdup (fleet_test_recorded_id (f->reconciler, "shop", "app"));
  stop_agent (f);

  new_agent (f, auth_file);
  g_assert_true (fleet_reconciler_load_state (f->reconciler, NULL));
  g_assert_cmpint (fleet_test_apply_ok (f->reconciler, v2), ==, FLEET_PHASE_FAILED);
  record = fleet_state_lookup_deployment (fleet_reconciler_get_state (f->reconciler), "shop");
  g_test_message ("last_error: %s", record->last_error);
  g_assert_true (g_str_has_prefix (record->last_error, "pulling 127.0.0.1:"));
  g_assert_nonnull (strstr (record->last_error, "authentication required"));
  g_assert_null (strstr (record->last_error, PASSWORD));
  g_assert_cmpstr (fleet_test_recorded_id (f->reconciler, "shop", "app"), ==, id);
  g_assert_cmpstr (status_of (f, id), ==, "running");
}

static void
test_refused_without_credentials (Fixture *f, gconstpointer data)
{
  if (f->h != NULL)
    assert_refused (f, NULL);
}

static void
test_refused_wrong_password (Fixture *f, gconstpointer data)
{
  if (f->h != NULL)
    assert_refused (f, f->wrong_auth);
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/podman/registry/pull-with-credentials", test_pull_with_credentials);
  ADD ("/podman/registry/refused-without-credentials", test_refused_without_credentials);
  ADD ("/podman/registry/refused-wrong-password", test_refused_wrong_password);
  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
