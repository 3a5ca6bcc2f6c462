/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fault-podman.c: the fault tests' hold on the harness's podman: kill
 * its `podman system service` with SIGKILL, as a crash would, and bring it
 * back on the same storage and socket; list the containers fleet manages and
 * the starts podman logged, to check what really happened.
 *
 * The harness's own service is a child of tests/podman-service.sh, which
 * only stops it at the end; it is found by its command line.  A service
 * restarted here is our child, and dies with the test program
 * (PR_SET_PDEATHSIG) so that the harness's script can still clean up after
 * a crash.  fleet_fault_podman_shutdown() stops it before the harness's.
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "fleet-fault-podman.h"

#define PING_TIMEOUT_SECS 60

static GSubprocess *restarted_service;
static char *runtime_path; /* --runtime of the restarted service, or NULL */

static char *
service_uri (FleetPodmanHarness *h)
{
  return g_strconcat ("unix://", fleet_podman_harness_get_socket (h), NULL);
}

/* Whether /proc/@pid/cmdline has @arg among its arguments. */
static gboolean
cmdline_has (const char *pid, const char *arg)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "cmdline", NULL);
  g_autofree char *cmdline = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &cmdline, &len, NULL))
    return FALSE;
  for (gsize at = 0; at < len; at += strlen (cmdline + at) + 1)
    if (strcmp (cmdline + at, arg) == 0)
      return TRUE;
  return FALSE;
}

/* The live `podman system service` serving @uri, or 0. */
static GPid
find_service (const char *uri)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (proc);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      if (!g_ascii_isdigit (name[0]))
        continue;
      /* A zombie has an empty command line: it does not match. */
      if (cmdline_has (name, "service") && cmdline_has (name, uri))
        return (GPid) g_ascii_strtoll (name, NULL, 10);
    }
  return 0;
}

static gboolean
is_gone_or_zombie (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *end;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] == 'Z';
}

/**
 * fleet_fault_podman_kill:
 *
 * SIGKILL the podman service, as a crash would, and wait until it is dead.
 * The containers (their conmon processes) live on.
 */
void
fleet_fault_podman_kill (FleetPodmanHarness *h)
{
  g_autofree char *uri = service_uri (h);
  GPid pid;

  if (restarted_service != NULL)
    {
      g_subprocess_send_signal (restarted_service, SIGKILL);
      g_subprocess_wait (restarted_service, NULL, NULL);
      g_clear_object (&restarted_service);
      return;
    }
  pid = find_service (uri);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  while (!is_gone_or_zombie (pid))
    g_usleep (10 * 1000);
}

static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* The OCI runtime (a path) the service uses from its next restart on, or
 * %NULL for containers.conf's. */
void
fleet_fault_podman_set_runtime (const char *path)
{
  g_free (runtime_path);
  runtime_path = g_strdup (path);
}

static gboolean
answers_ping (FleetPodmanHarness *h)
{
  g_autoptr(GBytes) body = NULL;
  guint status = 0;

  body = fleet_podman_harness_request (h, "GET", "/_ping", &status, NULL);
  return body != NULL && status == 200;
}

static const char *const xdg_variables[] = {
  "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME",   "XDG_DATA_DIRS",
  "XDG_CACHE_HOME",  "XDG_STATE_HOME",  "XDG_RUNTIME_DIR",
};

/* The harness's command line for the service (tests/podman-service.sh). */
static GPtrArray *
service_argv (FleetPodmanHarness *h)
{
  const char *dir = fleet_podman_harness_get_dir (h);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("podman"));
  g_ptr_array_add (argv, g_strconcat ("--root=", dir, "/storage", NULL));
  g_ptr_array_add (argv, g_strconcat ("--runroot=", dir, "/run", NULL));
  g_ptr_array_add (argv, g_strconcat ("--tmpdir=", dir, "/tmp", NULL));
  g_ptr_array_add (argv, g_strconcat ("--network-config-dir=", dir, "/networks", NULL));
  g_ptr_array_add (argv, g_strdup ("--events-backend=file"));
  if (runtime_path != NULL)
    g_ptr_array_add (argv, g_strconcat ("--runtime=", runtime_path, NULL));
  g_ptr_array_add (argv, g_strdup ("system"));
  g_ptr_array_add (argv, g_strdup ("service"));
  g_ptr_array_add (argv, g_strdup ("--time=0"));
  g_ptr_array_add (argv, service_uri (h));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* The harness's environment for podman, its output appended to a log. */
static GSubprocessLauncher *
service_launcher (FleetPodmanHarness *h)
{
  const char *dir = fleet_podman_harness_get_dir (h);
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *conf = g_test_build_filename (G_TEST_DIST, "containers.conf", NULL);
  g_autofree char *log = g_build_filename (dir, "service-restarted.log", NULL);
  int fd = g_open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  for (guint i = 0; i < G_N_ELEMENTS (xdg_variables); i++)
    g_subprocess_launcher_unsetenv (launcher, xdg_variables[i]);
  g_subprocess_launcher_setenv (launcher, "HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "CONTAINERS_CONF", conf, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  g_subprocess_launcher_take_stderr_fd (launcher, dup (fd));
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  return launcher;
}

/**
 * fleet_fault_podman_restart:
 *
 * Start the podman service again, as the harness did (same storage, socket,
 * configuration and environment), and wait until it answers.
 */
void
fleet_fault_podman_restart (FleetPodmanHarness *h)
{
  g_autoptr(GSubprocessLauncher) launcher = service_launcher (h);
  g_autoptr(GPtrArray) argv = service_argv (h);
  g_autofree char *uri = service_uri (h);
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + PING_TIMEOUT_SECS * G_USEC_PER_SEC;

  g_assert_null (restarted_service);
  g_assert_cmpint (find_service (uri), ==, 0);
  restarted_service
    = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  while (!answers_ping (h))
    {
      g_assert_nonnull (g_subprocess_get_identifier (restarted_service));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
}

/* At the end of main(), before fleet_podman_harness_shutdown(). */
void
fleet_fault_podman_shutdown (void)
{
  if (restarted_service == NULL)
    return;
  g_subprocess_send_signal (restarted_service, SIGTERM);
  g_subprocess_wait (restarted_service, NULL, NULL);
  g_clear_object (&restarted_service);
  g_clear_pointer (&runtime_path, g_free);
}

/* Reading what podman has. */

/**
 * fleet_fault_podman_list_managed:
 *
 * Returns: (transfer full) (element-type JsonObject): every container with
 *   the fleet.deployment label, in any state, as podman lists them
 */
GPtrArray *
fleet_fault_podman_list_managed (FleetPodmanHarness *h)
{
  g_autofree char *filter = g_uri_escape_string ("{\"label\":[\"fleet.deployment\"]}", NULL, FALSE);
  g_autofree char *path = g_strconcat ("/containers/json?all=true&filters=", filter, NULL);
  g_autoptr(JsonNode) list = fleet_podman_harness_get_json (h, path);
  GPtrArray *containers = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *array = json_node_get_array (list);

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (containers, json_object_ref (json_array_get_object_element (array, i)));
  return containers;
}

const char *
fleet_fault_container_label (JsonObject *container, const char *label)
{
  JsonObject *labels = json_object_get_object_member (container, "Labels");

  return labels ? json_object_get_string_member_with_default (labels, label, NULL) : NULL;
}

const char *
fleet_fault_container_state (JsonObject *container)
{
  return json_object_get_string_member_with_default (container, "State", "");
}

static void
add_words (GStrvBuilder *builder, JsonNode *words)
{
  if (words == NULL || JSON_NODE_HOLDS_NULL (words))
    return;
  if (JSON_NODE_HOLDS_VALUE (words)) /* podman 4 gives the entrypoint as one string */
    {
      g_strv_builder_add (builder, json_node_get_string (words));
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (words)); i++)
    g_strv_builder_add (builder, json_array_get_string_element (json_node_get_array (words), i));
}

/* The container's image and argv (entrypoint and command), as podman
 * inspects it, joined with spaces. */
char *
fleet_fault_podman_describe (FleetPodmanHarness *h, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);
  g_autoptr(JsonNode) node = fleet_podman_harness_get_json (h, path);
  JsonObject *container = json_node_get_object (node);
  JsonObject *config = json_object_get_object_member (container, "Config");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) words = NULL;

  g_strv_builder_add (builder, json_object_get_string_member (container, "ImageName"));
  add_words (builder, json_object_get_member (config, "Entrypoint"));
  add_words (builder, json_object_get_member (config, "Cmd"));
  words = g_strv_builder_end (builder);
  return g_strjoinv (" ", words);
}

/* Where the container's own files are (overlay's upper directory). */
char *
fleet_fault_podman_upper_dir (FleetPodmanHarness *h, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);
  g_autoptr(JsonNode) node = fleet_podman_harness_get_json (h, path);
  JsonObject *driver = json_object_get_object_member (json_node_get_object (node), "GraphDriver");
  JsonObject *data = json_object_get_object_member (driver, "Data");

  return g_strdup (json_object_get_string_member (data, "UpperDir"));
}

/**
 * fleet_fault_podman_events:
 * @skip: how many of the oldest container events to leave out (as many as
 *   fleet_fault_podman_count_events() said earlier: only the newer ones)
 * @action: (nullable): only events of this action ("start", "remove", ...)
 *
 * Returns: (transfer full) (element-type JsonObject): the container events
 *   podman logged, oldest first
 */
GPtrArray *
fleet_fault_podman_events (FleetPodmanHarness *h, guint skip, const char *action)
{
  g_autofree char *filter = g_uri_escape_string ("{\"type\":[\"container\"]}", NULL, FALSE);
  g_autofree char *path = g_strconcat ("/events?stream=false&filters=", filter, NULL);
  g_autoptr(GError) error = NULL;
  guint status = 0;
  g_autoptr(GBytes) body = fleet_podman_harness_request (h, "GET", path, &status, &error);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  text = g_strndup (g_bytes_get_data (body, NULL) ? g_bytes_get_data (body, NULL) : "",
                    g_bytes_get_size (body));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0, n = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *event;

      if (*lines[i] == '\0' || n++ < skip)
        continue;
      node = json_from_string (lines[i], &error);
      g_assert_no_error (error);
      event = json_node_get_object (node);
      if (action == NULL
          || g_strcmp0 (json_object_get_string_member_with_default (event, "Action", NULL), action)
               == 0)
        g_ptr_array_add (events, json_object_ref (event));
    }
  return events;
}

/* How many container events podman has logged so far. */
guint
fleet_fault_podman_count_events (FleetPodmanHarness *h)
{
  g_autoptr(GPtrArray) events = fleet_fault_podman_events (h, 0, NULL);

  return events->len;
}

const char *
fleet_fault_event_attribute (JsonObject *event, const char *name)
{
  JsonObject *actor = json_object_get_object_member (event, "Actor");
  JsonObject *attributes = actor ? json_object_get_object_member (actor, "Attributes") : NULL;

  return attributes ? json_object_get_string_member_with_default (attributes, name, NULL) : NULL;
}

const char *
fleet_fault_event_id (JsonObject *event)
{
  JsonObject *actor = json_object_get_object_member (event, "Actor");

  return actor ? json_object_get_string_member_with_default (actor, "ID", NULL) : NULL;
}
