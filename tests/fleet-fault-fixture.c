/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-fault-fixture.c: what the fault scenarios share.
 *
 * Each test gets a fleetd rig (fleet-fault-rig.c) on the program's podman,
 * reset between tests, and unmounts at its end whatever it mounted on the
 * state directory.  A scenario names the fault it proves (a defect of
 * issue 9, "3", or a later one): FLEET_FAULTS_PENDING="3 removal ..." lists
 * the faults whose fix is not in the tree yet, and their scenarios are
 * skipped, with the reason, rather than failed (a skip is reported as SKIP,
 * never as a pass).
 *
 * What fleetd did is always checked through podman (its container list and
 * event log) and the state directory, never through fleetd's own view.
 */
#define _GNU_SOURCE /* unshare() */
#include "config.h"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fleet-fault-fixture.h"
#include "fleet-test-utils.h"

static gboolean
fault_pending (const char *fault)
{
  g_auto(GStrv) pending = NULL;

  if (fault == NULL || g_getenv ("FLEET_FAULTS_PENDING") == NULL)
    return FALSE;
  pending = g_strsplit_set (g_getenv ("FLEET_FAULTS_PENDING"), " ,", -1);
  return g_strv_contains ((const char *const *) pending, fault);
}

void
fault_fixture_setup (FaultFixture *f, gconstpointer data)
{
  const FaultScenario *scenario = data;

  f->mounts = g_ptr_array_new_with_free_func (g_free);
  if (fault_pending (scenario->fault))
    {
      g_test_skip_printf ("fault %s is not fixed in this tree (listed in FLEET_FAULTS_PENDING)",
                          scenario->fault);
      return;
    }
  if ((scenario->needs & FAULT_NEEDS_ROOT) && geteuid () != 0)
    {
      if (g_strcmp0 (g_getenv ("FLEET_REQUIRE_PODMAN"), "1") == 0)
        g_test_fail_printf ("this scenario is required (FLEET_REQUIRE_PODMAN=1) but needs root");
      else
        g_test_skip ("needs root (it mounts file systems)");
      return;
    }
  if (scenario->needs & FAULT_NEEDS_PODMAN)
    {
      f->h = fleet_podman_harness_require ();
      if (f->h == NULL)
        return;
      fleet_podman_harness_reset (f->h);
      f->events_before = fleet_fault_podman_count_events (f->h);
    }
  f->rig = fleet_fault_rig_new (f->h);
  f->ready = TRUE;
}

/* Remove the containers of the test, whatever state podman was left in:
 * a container podman was killed while starting can run although podman
 * thinks it never started (neither podman's kill nor its forced removal
 * ends it then, runc's forced delete does), and one it was killed while
 * removing may fail the next test's `podman rm --all`. */
static void
remove_leftovers (FaultFixture *f)
{
  g_autoptr(GPtrArray) containers = fleet_fault_podman_list_managed (f->h);

  for (guint i = 0; i < containers->len; i++)
    {
      const char *state = fleet_fault_container_state (containers->pdata[i]);
      const char *id = json_object_get_string_member (containers->pdata[i], "Id");
      const char *runc_delete[] = { "runc", "delete", "--force", id, NULL };
      g_autoptr(GError) error = NULL;

      if (g_strcmp0 (state, "initialized") == 0 || g_strcmp0 (state, "created") == 0)
        g_spawn_sync (NULL, (char **) runc_delete, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                        | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, NULL, NULL);
      if (!fleet_podman_harness_podman (f->h, NULL, &error, "rm", "--force", "--time", "0", id,
                                        NULL))
        g_test_message ("teardown: %s", error->message);
    }
}

void
fault_fixture_teardown (FaultFixture *f, gconstpointer data)
{
  if (f->ready && f->h != NULL)
    {
      fleet_fault_rig_kill_fleetd_if_running (f->rig);
      remove_leftovers (f);
    }
  /* Lazily: fleetd may still hold files open there. */
  for (guint i = f->mounts->len; i > 0; i--)
    if (umount2 (f->mounts->pdata[i - 1], MNT_DETACH) < 0)
      g_warning ("cannot unmount %s: %s", (char *) f->mounts->pdata[i - 1], g_strerror (errno));
  g_clear_pointer (&f->rig, fleet_fault_rig_free);
  g_clear_pointer (&f->mounts, g_ptr_array_unref);
}

/**
 * fault_private_mounts:
 *
 * As root, give the test program (and the processes it starts from now on:
 * podman, fleetd) a mount namespace of its own, so that the file systems it
 * mounts vanish with it even when it dies half-way.  Call it first thing in
 * main(), before any thread exists.
 */
void
fault_private_mounts (void)
{
  if (geteuid () != 0)
    return;
  if (unshare (CLONE_NEWNS) < 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
    g_error ("cannot make a private mount namespace: %s", g_strerror (errno));
}

/* mount(2) on the state directory (created first), undone at teardown. */
void
fault_fixture_mount (FaultFixture *f, const char *source, const char *fstype,
                     unsigned long flags, const char *data)
{
  const char *dir = fleet_fault_rig_get_state_dir (f->rig);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  /* The type is ignored for binds and remounts, but valgrind wants one. */
  if (mount (source ? source : "none", dir, fstype ? fstype : "none", flags, data) < 0)
    g_error ("mount %s on %s: %s", fstype ? fstype : source, dir, g_strerror (errno));
  if ((flags & MS_REMOUNT) == 0)
    g_ptr_array_add (f->mounts, g_strdup (dir));
}

/* Documents. */

/* A service running @script, marked with its version in its command ($0)
 * and environment, from image fleet-test:v1 for odd versions and :v2 for
 * even ones (the same but for their tags); @extra: more members. */
char *
fault_service_json (const char *name, guint version, const char *script, const char *extra)
{
  return g_strdup_printf ("{\"name\":\"%s\",\"image\":\"%s\","
                          "\"command\":[\"/bin/sh\",\"-c\",\"%s\",\"%s-v%u\"],"
                          "\"env\":{\"FAULT_VERSION\":\"%u\"}%s}",
                          name, fault_service_image (version), script, name, version, version,
                          extra ? extra : "");
}

const char *
fault_service_image (guint version)
{
  return version % 2 ? "localhost/fleet-test:v1" : "localhost/fleet-test:v2";
}

static char *
join_va (const char *first, va_list args)
{
  g_autoptr(GString) joined = g_string_new (first);

  for (const char *next = va_arg (args, const char *); next; next = va_arg (args, const char *))
    g_string_append_printf (joined, ",%s", next);
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

char *
fault_deployment_json (const char *name, guint grace_secs, const char *first_service, ...)
{
  g_autofree char *services = NULL;
  va_list args;

  va_start (args, first_service);
  services = join_va (first_service, args);
  va_end (args);
  return g_strdup_printf ("\"%s\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[%s],"
                          "\"lifecycle\":{\"grace_period_secs\":%u}}}",
                          name, services, grace_secs);
}

char *
fault_document_json (guint generation, const char *first_deployment, ...)
{
  g_autofree char *deployments = NULL;
  va_list args;

  va_start (args, first_deployment);
  deployments = join_va (first_deployment, args);
  va_end (args);
  return g_strdup_printf ("{\"generation\":%u,\"deployments\":{%s}}", generation, deployments);
}

/* One deployment "app" of one service "web", at @version, running
 * @script. */
char *
fault_app_document (guint version, const char *script)
{
  g_autofree char *web = fault_service_json ("web", version, script, NULL);
  g_autofree char *app = fault_deployment_json ("app", 2, web, NULL);

  return fault_document_json (version, app, NULL);
}

/* The digest fleet labels the service's container with. */
char *
fault_spec_digest (const char *document, const char *deployment, const char *service)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetDocument) parsed = fleet_document_new_from_data (document, -1, NULL, &error);
  FleetServiceSpec *spec;

  g_assert_no_error (error);
  spec = fleet_document_lookup_service (parsed, deployment, service);
  g_assert_nonnull (spec);
  return g_strdup (spec->digest);
}

/* Containers. */

/* The service has exactly one container, running, from wait->digest (if
 * set); wait->id is set to it. */
gboolean
fault_service_is_running (gpointer user_data)
{
  FaultServiceWait *wait = user_data;
  g_autoptr(GPtrArray) containers = fleet_fault_podman_list_managed (wait->f->h);
  JsonObject *found = NULL;

  for (guint i = 0; i < containers->len; i++)
    {
      JsonObject *container = containers->pdata[i];

      if (g_strcmp0 (fleet_fault_container_label (container, "fleet.deployment"),
                     wait->deployment) != 0
          || g_strcmp0 (fleet_fault_container_label (container, "fleet.service"), wait->service)
               != 0)
        continue;
      if (found != NULL)
        return FALSE;
      found = container;
    }
  if (found == NULL || g_strcmp0 (fleet_fault_container_state (found), "running") != 0
      || (wait->digest != NULL
          && g_strcmp0 (fleet_fault_container_label (found, "fleet.spec-digest"), wait->digest)
               != 0))
    return FALSE;
  g_free (wait->id);
  wait->id = g_strdup (json_object_get_string_member (found, "Id"));
  return TRUE;
}

/* ... and its id is in the state file: a restart would know it. */
gboolean
fault_service_is_recorded (gpointer user_data)
{
  FaultServiceWait *wait = user_data;
  g_autofree char *records = NULL;

  if (!fault_service_is_running (wait))
    return FALSE;
  records = fleet_fault_rig_read_state_file (wait->f->rig, "state.json");
  return records != NULL && strstr (records, wait->id) != NULL;
}

/* Wait (up to a minute) until the service runs from @digest and is
 * recorded; returns its container's id. */
char *
fault_wait_recorded (FaultFixture *f, const char *deployment, const char *service,
                     const char *digest)
{
  FaultServiceWait wait = { f, deployment, service, digest, NULL };

  if (!fleet_fault_wait_for (fault_service_is_recorded, &wait, 60))
    {
      g_autofree char *log = fleet_fault_rig_read_log (f->rig);

      g_test_message ("fleetd's log:\n%s", log);
      g_error ("%s/%s did not run recorded from %s within 60 s", deployment, service,
               digest ? digest : "any digest");
    }
  return wait.id;
}

/* podman's state of the container ("running", "exited", ...), "missing",
 * or why podman cannot say. */
char *
fault_container_state (FaultFixture *f, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status = 0;
  gsize len = 0;
  const char *data;
  JsonObject *state;

  body = fleet_podman_harness_request (f->h, "GET", path, &status, &error);
  g_assert_no_error (error);
  if (status == 404)
    return g_strdup ("missing");
  if (status != 200) /* what podman says of a container it half removed */
    return g_strdup_printf ("not inspectable (HTTP %u: %.*s)", status,
                            (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
  data = g_bytes_get_data (body, &len);
  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  state = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                         "State");
  return g_strdup (json_object_get_string_member (state, "Status"));
}

guint
fault_count_starts_of (FaultFixture *f, const char *id)
{
  g_autoptr(GPtrArray) starts = fleet_fault_podman_events (f->h, f->events_before, "start");
  guint n = 0;

  for (guint i = 0; i < starts->len; i++)
    if (g_strcmp0 (fleet_fault_event_id (starts->pdata[i]), id) == 0)
      n++;
  return n;
}

/* How many events podman logged that change a container. */
guint
fault_count_lifecycle_events (FaultFixture *f)
{
  static const char *const actions[] = { "create", "init", "start", "stop",
                                         "kill",   "remove", "rename" };
  g_autoptr(GPtrArray) events = fleet_fault_podman_events (f->h, f->events_before, NULL);
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    {
      const char *action = json_object_get_string_member_with_default (events->pdata[i],
                                                                       "Action", "");

      n += g_strv_contains (actions, action);
    }
  return n;
}

/* Whether, since the test began, podman never started a fleet container of
 * an older version of its service than one it had started before.  @version_of_digest maps
 * spec digests to versions (GUINT_TO_POINTER); what went wrong is appended
 * to @problems. */
gboolean
fault_check_starts (FaultFixture *f, GHashTable *version_of_digest, GString *problems)
{
  g_autoptr(GPtrArray) starts = fleet_fault_podman_events (f->h, f->events_before, "start");
  g_autoptr(GHashTable) newest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok = TRUE;

  for (guint i = 0; i < starts->len; i++)
    {
      JsonObject *event = starts->pdata[i];
      const char *deployment = fleet_fault_event_attribute (event, "fleet.deployment");
      const char *digest = fleet_fault_event_attribute (event, "fleet.spec-digest");
      g_autofree char *key = NULL;
      guint version, started;

      if (deployment == NULL)
        continue; /* not fleet's */
      key = g_strdup_printf ("%s/%s", deployment,
                             fleet_fault_event_attribute (event, "fleet.service"));
      version = GPOINTER_TO_UINT (g_hash_table_lookup (version_of_digest, digest));
      started = GPOINTER_TO_UINT (g_hash_table_lookup (newest, key));
      if (version == 0)
        {
          g_string_append_printf (problems, "start of %s from unknown digest %s; ", key, digest);
          ok = FALSE;
        }
      else if (version < started)
        {
          g_string_append_printf (problems, "%s: v%u started (container %.12s) after v%u had; ",
                                  key, version, fleet_fault_event_id (event), started);
          ok = FALSE;
        }
      g_hash_table_insert (newest, g_steal_pointer (&key), GUINT_TO_POINTER (MAX (version, started)));
    }
  return ok;
}
