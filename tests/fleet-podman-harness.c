/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-podman-harness.c: a private, real podman for integration tests.
 *
 * Each test program that asks for it gets its own `podman system service`
 * (started by tests/podman-service.sh) with storage, run and tmp directories
 * in a fresh temporary directory, so test programs running in parallel never
 * see each other's containers or events, nor the host's.  The test images
 * are imported from busybox by tests/images/build-images.sh; nothing comes
 * from a registry.  Tests also get a synchronous side door to podman (its CLI
 * on the same storage, plain REST requests and the event log) to sabotage
 * containers behind the agent's back and to check what really happened.
 *
 * Without podman (or root) the podman tests are skipped, unless
 * FLEET_REQUIRE_PODMAN=1 (CI), where that is a failure.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <libsoup/soup.h>
#include <unistd.h>

#include "fleet-podman-harness.h"

#define API_PREFIX "/v4.0.0/libpod"
#define PING_TIMEOUT_SECS 60

struct _FleetPodmanHarness
{
  char *dir;
  char *socket_path;
  char *conf_path;
  char *tests_dir;
  GPtrArray *global_args; /* podman's options that select our storage */
  GSubprocess *service;
  GOutputStream *service_stdin;
  SoupSession *session;
};

static FleetPodmanHarness *the_harness;
static GError *the_error;

static const char *
tests_srcdir (void)
{
  const char *dir = g_getenv ("G_TEST_SRCDIR");

  return dir ? dir : FLEET_TESTS_SRCDIR;
}

/* Why podman cannot be used here, or NULL when it can. */
static const char *
missing_prerequisite (void)
{
  g_autofree char *podman = g_find_program_in_path ("podman");
  g_autofree char *runc = g_find_program_in_path ("runc");

  if (podman == NULL)
    return "podman is not installed";
  if (runc == NULL)
    return "runc is not installed";
  if (!g_file_test ("/bin/busybox", G_FILE_TEST_IS_EXECUTABLE))
    return "busybox-static is not installed (/bin/busybox)";
  if (geteuid () != 0)
    return "the podman tests run rootful podman and need root";
  return NULL;
}

static void
harness_free (FleetPodmanHarness *h)
{
  /* The service script cleans up when its stdin closes; wait for it, so
   * that nothing of ours outlives the test program. */
  if (h->service_stdin != NULL)
    g_output_stream_close (h->service_stdin, NULL, NULL);
  if (h->service != NULL)
    g_subprocess_wait (h->service, NULL, NULL);
  g_clear_object (&h->service_stdin);
  g_clear_object (&h->service);
  g_clear_object (&h->session);
  g_clear_pointer (&h->global_args, g_ptr_array_unref);
  g_free (h->dir);
  g_free (h->socket_path);
  g_free (h->conf_path);
  g_free (h->tests_dir);
  g_free (h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FleetPodmanHarness, harness_free)

static const char *const xdg_variables[] = {
  "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME",   "XDG_DATA_DIRS",
  "XDG_CACHE_HOME",  "XDG_STATE_HOME",  "XDG_RUNTIME_DIR",
};

static GSubprocessLauncher *
new_launcher (FleetPodmanHarness *h, GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  /* g_test_init()'s isolated directories point XDG_CONFIG_HOME and friends
   * at places podman chokes on ("stat /dev/null/containers/storage.conf");
   * podman gets a root's ordinary environment and our configuration. */
  for (guint i = 0; i < G_N_ELEMENTS (xdg_variables); i++)
    g_subprocess_launcher_unsetenv (launcher, xdg_variables[i]);
  g_subprocess_launcher_setenv (launcher, "HOME", h->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "CONTAINERS_CONF", h->conf_path, TRUE);
  return launcher;
}

/* Run @argv (NULL-terminated) to completion; its stdout in @out_stdout. */
static gboolean
run_sync (FleetPodmanHarness *h, GPtrArray *argv, char **out_stdout, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    new_launcher (h, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cmd = NULL;

  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, error);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return FALSE;
  if (g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0)
    {
      if (out_stdout)
        *out_stdout = g_steal_pointer (&out);
      return TRUE;
    }
  cmd = g_strjoinv (" ", (char **)argv->pdata);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", cmd,
               err ? g_strstrip (err) : "");
  return FALSE;
}

static GBytes *
raw_request (FleetPodmanHarness *h, const char *method, const char *full_path, guint *out_status,
             GError **error)
{
  g_autofree char *uri = g_strconcat ("http://podman", full_path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  GBytes *body;

  g_assert_nonnull (msg);
  body = soup_session_send_and_read (h->session, msg, NULL, error);
  if (body != NULL && out_status)
    *out_status = soup_message_get_status (msg);
  return body;
}

static char *
read_service_log (FleetPodmanHarness *h)
{
  g_autofree char *path = g_build_filename (h->dir, "service.log", NULL);
  char *log = NULL;

  if (!g_file_get_contents (path, &log, NULL, NULL))
    return g_strdup ("(no log)");
  return g_strstrip (log);
}

static gboolean
wait_for_ping (FleetPodmanHarness *h, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + PING_TIMEOUT_SECS * G_USEC_PER_SEC;
  g_autofree char *log = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      guint status = 0;
      g_autoptr(GBytes) body = NULL;

      if (g_file_test (h->socket_path, G_FILE_TEST_EXISTS))
        body = raw_request (h, "GET", "/_ping", &status, NULL);
      if (body != NULL && status == 200)
        return TRUE;
      /* A podman that failed to start says so and exits: do not wait on. */
      g_clear_pointer (&log, g_free);
      log = read_service_log (h);
      if (strstr (log, "Error: ") != NULL || strstr (log, "level=fatal") != NULL)
        break;
      g_usleep (100 * 1000);
    }
  g_clear_pointer (&log, g_free);
  log = read_service_log (h);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "podman system service did not answer /_ping within %d s: %s", PING_TIMEOUT_SECS,
               log);
  return FALSE;
}

static gboolean
build_images (FleetPodmanHarness *h, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("/bin/sh"));
  g_ptr_array_add (argv, g_build_filename (h->tests_dir, "images", "build-images.sh", NULL));
  for (guint i = 0; i < h->global_args->len; i++)
    g_ptr_array_add (argv, g_strdup (h->global_args->pdata[i]));
  g_ptr_array_add (argv, NULL);
  return run_sync (h, argv, NULL, error);
}

/* The same options as tests/podman-service.sh gives the service. */
static void
add_global_arg (FleetPodmanHarness *h, const char *option, const char *subdir)
{
  g_ptr_array_add (h->global_args, g_strdup (option));
  g_ptr_array_add (h->global_args, g_build_filename (h->dir, subdir, NULL));
}

static FleetPodmanHarness *
harness_start (GError **error)
{
  g_autoptr(FleetPodmanHarness) h = g_new0 (FleetPodmanHarness, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *script = NULL;
  const char *missing = missing_prerequisite ();

  if (missing != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, missing);
      return NULL;
    }
  h->dir = g_dir_make_tmp ("fleet-podman-XXXXXX", error);
  if (h->dir == NULL)
    return NULL;
  h->tests_dir = g_strdup (tests_srcdir ());
  h->socket_path = g_build_filename (h->dir, "podman.sock", NULL);
  h->conf_path = g_build_filename (h->tests_dir, "containers.conf", NULL);
  h->global_args = g_ptr_array_new_with_free_func (g_free);
  add_global_arg (h, "--root", "storage");
  add_global_arg (h, "--runroot", "run");
  add_global_arg (h, "--tmpdir", "tmp");
  add_global_arg (h, "--network-config-dir", "networks");
  g_ptr_array_add (h->global_args, g_strdup ("--events-backend=file"));

  script = g_build_filename (h->tests_dir, "podman-service.sh", NULL);
  launcher = new_launcher (h, G_SUBPROCESS_FLAGS_STDIN_PIPE);
  h->service = g_subprocess_launcher_spawn (launcher, error, "/bin/sh", script, h->dir, NULL);
  if (h->service == NULL)
    return NULL;
  h->service_stdin = g_object_ref (g_subprocess_get_stdin_pipe (h->service));
  address = g_unix_socket_address_new (h->socket_path);
  h->session = soup_session_new_with_options ("remote-connectable", address, "timeout", 120, NULL);
  if (!wait_for_ping (h, error) || !build_images (h, error))
    return NULL;
  return g_steal_pointer (&h);
}

/**
 * fleet_podman_harness_get:
 *
 * The test program's podman, started on first use.
 *
 * Returns: (transfer none): the harness, or %NULL with why podman cannot be
 *   used here
 */
FleetPodmanHarness *
fleet_podman_harness_get (GError **error)
{
  if (the_harness == NULL && the_error == NULL)
    {
      the_harness = harness_start (&the_error);
      if (the_harness == NULL)
        g_assert_nonnull (the_error);
    }
  if (the_harness == NULL && error != NULL)
    *error = g_error_copy (the_error);
  return the_harness;
}

/* For a test's start: the harness, or NULL after marking the test skipped
 * (no podman here) or failed (no podman, but FLEET_REQUIRE_PODMAN=1). */
FleetPodmanHarness *
fleet_podman_harness_require (void)
{
  g_autoptr(GError) error = NULL;
  FleetPodmanHarness *h = fleet_podman_harness_get (&error);

  if (h != NULL)
    return h;
  if (g_strcmp0 (g_getenv ("FLEET_REQUIRE_PODMAN"), "1") == 0)
    g_test_fail_printf ("podman is required (FLEET_REQUIRE_PODMAN=1) but cannot be used: %s",
                        error->message);
  else
    g_test_skip_printf ("podman cannot be used: %s", error->message);
  return NULL;
}

/* At the end of main(): stop the service and remove everything. */
void
fleet_podman_harness_shutdown (void)
{
  g_clear_pointer (&the_harness, harness_free);
  g_clear_error (&the_error);
}

const char *
fleet_podman_harness_get_socket (FleetPodmanHarness *h)
{
  return h->socket_path;
}

const char *
fleet_podman_harness_get_dir (FleetPodmanHarness *h)
{
  return h->dir;
}

/* Have @name held by a container in the harness's storage that podman does
 * not list, as podman killed in the middle of a create leaves one behind: a
 * buildah working container is exactly that.  Fails with
 * G_IO_ERROR_NOT_FOUND when buildah is not installed. */
gboolean
fleet_podman_harness_hold_name (FleetPodmanHarness *h, const char *name, const char *image,
                                GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *buildah = g_find_program_in_path ("buildah");

  if (buildah == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "buildah is not installed");
      return FALSE;
    }
  g_ptr_array_add (argv, g_steal_pointer (&buildah));
  g_ptr_array_add (argv, g_strdup ("--root"));
  g_ptr_array_add (argv, g_build_filename (h->dir, "storage", NULL));
  g_ptr_array_add (argv, g_strdup ("--runroot"));
  g_ptr_array_add (argv, g_build_filename (h->dir, "run", NULL));
  g_ptr_array_add (argv, g_strdup ("from"));
  g_ptr_array_add (argv, g_strdup ("--pull-never"));
  g_ptr_array_add (argv, g_strdup ("--name"));
  g_ptr_array_add (argv, g_strdup (name));
  g_ptr_array_add (argv, g_strdup (image));
  g_ptr_array_add (argv, NULL);
  return run_sync (h, argv, NULL, error);
}

/* Run the podman CLI on the harness's storage, as an operator on the
 * device would behind the agent's back. */
gboolean
fleet_podman_harness_podman (FleetPodmanHarness *h, char **out_stdout, GError **error,
                             const char *first_arg, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  va_list args;

  g_ptr_array_add (argv, g_strdup ("podman"));
  for (guint i = 0; i < h->global_args->len; i++)
    g_ptr_array_add (argv, g_strdup (h->global_args->pdata[i]));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return run_sync (h, argv, out_stdout, error);
}

/* A synchronous request to @path below the libpod API prefix. */
GBytes *
fleet_podman_harness_request (FleetPodmanHarness *h, const char *method, const char *path,
                              guint *out_status, GError **error)
{
  g_autofree char *full = g_strconcat (API_PREFIX, path, NULL);

  return raw_request (h, method, full, out_status, error);
}

/* GET @path and parse the answer; asserts that it worked. */
JsonNode *
fleet_podman_harness_get_json (FleetPodmanHarness *h, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = 0;
  g_autoptr(GBytes) body = fleet_podman_harness_request (h, "GET", path, &status, &error);
  gsize len = 0;
  const char *data;

  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  data = g_bytes_get_data (body, &len);
  json_parser_load_from_data (parser, data, (gssize)len, &error);
  g_assert_no_error (error);
  return json_parser_steal_root (parser);
}

/**
 * fleet_podman_harness_events:
 * @event: a container event name ("create", "died", ...)
 *
 * Returns: (transfer full) (element-type JsonNode): every such event in
 *   this podman's log, oldest first
 */
GPtrArray *
fleet_podman_harness_events (FleetPodmanHarness *h, const char *event)
{
  g_autofree char *filter
      = g_strdup_printf ("{\"type\":[\"container\"],\"event\":[\"%s\"]}", event);
  g_autofree char *escaped = g_uri_escape_string (filter, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/events?stream=false&filters=", escaped, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = fleet_podman_harness_request (h, "GET", path, NULL, &error);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);

  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (*lines[i] != '\0' && json_parser_load_from_data (parser, lines[i], -1, NULL))
        g_ptr_array_add (events, json_parser_steal_root (parser));
    }
  return events;
}

static const char *
event_attribute (JsonNode *event, const char *name)
{
  JsonObject *actor = json_object_get_object_member (json_node_get_object (event), "Actor");
  JsonObject *attributes = actor ? json_object_get_object_member (actor, "Attributes") : NULL;

  return attributes ? json_object_get_string_member_with_default (attributes, name, NULL) : NULL;
}

/* The exit code podman's last "died" event reported for the container, or
 * -1 when it never died. */
int
fleet_podman_harness_exit_code (FleetPodmanHarness *h, const char *container_id)
{
  g_autoptr(GPtrArray) events = fleet_podman_harness_events (h, "died");
  int code = -1;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *actor
          = json_object_get_object_member (json_node_get_object (events->pdata[i]), "Actor");
      const char *exit_code = event_attribute (events->pdata[i], "containerExitCode");

      if (actor && g_strcmp0 (json_object_get_string_member (actor, "ID"), container_id) == 0
          && exit_code != NULL)
        code = atoi (exit_code);
    }
  return code;
}

/* How many @event events podman logged, for containers named
 * @container_name or (with %NULL) for all. */
guint
fleet_podman_harness_count_events (FleetPodmanHarness *h, const char *event,
                                   const char *container_name)
{
  g_autoptr(GPtrArray) events = fleet_podman_harness_events (h, event);
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    if (container_name == NULL
        || g_strcmp0 (event_attribute (events->pdata[i], "name"), container_name) == 0)
      n++;
  return n;
}

/* Between tests: no containers, no volumes; the images stay. */
void
fleet_podman_harness_reset (FleetPodmanHarness *h)
{
  g_autoptr(GError) error = NULL;

  fleet_podman_harness_podman (h, NULL, &error, "rm", "--all", "--force", "--time", "0", NULL);
  g_assert_no_error (error);
  fleet_podman_harness_podman (h, NULL, &error, "volume", "rm", "--all", "--force", NULL);
  g_assert_no_error (error);
}

/* TRUE when the process @pid catches or ignores SIGTERM. */
static gboolean
handles_sigterm (gint64 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/status", pid);
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;
  const guint64 sigterm_bit = G_GUINT64_CONSTANT (1) << (15 - 1);

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return FALSE;
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "SigCgt:") || g_str_has_prefix (lines[i], "SigIgn:"))
      if ((g_ascii_strtoull (lines[i] + 7, NULL, 16) & sigterm_bit) != 0)
        return TRUE;
  return FALSE;
}

/* Wait until the container's first process has set up its signal handling
 * (its shell has run its `trap`s): a signal sent before would be lost, as
 * PID 1 has no default handlers.  Read from /proc, so no guesswork about
 * how long a shell takes to start. */
void
fleet_podman_harness_wait_for_signal_handlers (FleetPodmanHarness *h, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonNode) node = fleet_podman_harness_get_json (h, path);
      JsonObject *state = json_object_get_object_member (json_node_get_object (node), "State");
      gint64 pid = json_object_get_int_member_with_default (state, "Pid", 0);

      if (pid > 0 && handles_sigterm (pid))
        return;
      g_usleep (20 * 1000);
    }
  g_error ("container %s did not set up its signal handlers within 30 s", id);
}
