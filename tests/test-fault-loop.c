/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fault-loop.c: fleetd and podman SIGKILLed at random points of
 * repeated upgrades: issue 9's fault-injection loop (about 2 minutes).
 *
 * The loop upgrades three services in two deployments v1 -> v2 -> v3 ...,
 * each version a changed spec of every service.  At each iteration, after a
 * random delay into the upgrade, it SIGKILLs fleetd, the podman service or
 * both, starts again what it killed, lets fleetd converge and checks, through
 * podman: exactly one container per service, running, at the latest
 * version (its spec-digest label, and the image and command podman runs), no other fleet-labelled
 * container, and that podman never started a container of an older version
 * of a service after a newer one.
 *
 * The randomness is seeded: the seed and each iteration's kill point are
 * printed, and FLEET_FAULTS_SEED=N replays the same choices (the timing of
 * the machine is not replayed).  FLEET_FAULTS_ITERATIONS sets the number
 * of iterations (default 30).
 */
#include "config.h"

#include "fleet-fault-fixture.h"
#include "fleet-test-processes.h"
#include "fleet-test-utils.h"

#define CONVERGE_TIMEOUT_SECS 120
#define DEFAULT_ITERATIONS 30
#define MAX_KILL_DELAY_MS 2500
#define MAX_PODMAN_DOWNTIME_MS 2000

typedef FaultFixture Fixture;

static const struct
{
  const char *deployment;
  const char *service;
} services[] = {
  { "alpha", "one" },
  { "alpha", "two" },
  { "beta", "three" },
};

typedef enum
{
  KILL_FLEETD,
  KILL_PODMAN,
  KILL_BOTH,
} Victim;

static const char *const victim_names[] = { "fleetd", "podman", "fleetd and podman" };

typedef struct
{
  Fixture *f;
  guint version;
  GHashTable *version_of_digest; /* digest -> version */
  GString *problems;             /* why it has not converged yet */
} Upgrades;

static char *
loop_document (guint version)
{
  g_autofree char *one = fault_service_json ("one", version, FAULT_SCRIPT_POLITE, NULL);
  g_autofree char *two = fault_service_json ("two", version, FAULT_SCRIPT_POLITE, NULL);
  g_autofree char *three = fault_service_json ("three", version, FAULT_SCRIPT_POLITE, NULL);
  g_autofree char *alpha = fault_deployment_json ("alpha", 2, one, two, NULL);
  g_autofree char *beta = fault_deployment_json ("beta", 2, three, NULL);

  return fault_document_json (version, alpha, beta, NULL);
}

/* Publish version @version, remembering its digests. */
static void
publish (Upgrades *u, guint version)
{
  g_autofree char *doc = loop_document (version);

  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    g_hash_table_insert (u->version_of_digest,
                         fault_spec_digest (doc, services[i].deployment, services[i].service),
                         GUINT_TO_POINTER (version));
  u->version = version;
  fleet_fault_rig_write_document (u->f->rig, doc);
}

static int
service_index (JsonObject *container)
{
  const char *deployment = fleet_fault_container_label (container, "fleet.deployment");
  const char *service = fleet_fault_container_label (container, "fleet.service");

  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    if (g_strcmp0 (deployment, services[i].deployment) == 0
        && g_strcmp0 (service, services[i].service) == 0)
      return (int) i;
  return -1;
}

/* What is wrong with @container as the one container of its service at
 * version u->version (appended to u->problems); FALSE if anything is. */
static gboolean
check_container (Upgrades *u, JsonObject *container, int index)
{
  const char *id = json_object_get_string_member (container, "Id");
  const char *digest = fleet_fault_container_label (container, "fleet.spec-digest");
  guint version = GPOINTER_TO_UINT (g_hash_table_lookup (u->version_of_digest, digest));

  if (index < 0)
    {
      g_string_append_printf (u->problems, "orphan %.12s (%s/%s); ", id,
                              fleet_fault_container_label (container, "fleet.deployment"),
                              fleet_fault_container_label (container, "fleet.service"));
      return FALSE;
    }
  if (version != u->version)
    {
      g_string_append_printf (u->problems, "%s/%s: %.12s is v%u, not v%u; ",
                              services[index].deployment, services[index].service, id, version,
                              u->version);
      return FALSE;
    }
  if (g_strcmp0 (fleet_fault_container_state (container), "running") != 0)
    {
      g_string_append_printf (u->problems, "%s/%s: %.12s is %s; ", services[index].deployment,
                              services[index].service, id,
                              fleet_fault_container_state (container));
      return FALSE;
    }
  return TRUE;
}

/* Whether each container runs the image and command of its service at
 * u->version: what the spec-digest label claims. */
static gboolean
runs_what_labels_say (Upgrades *u)
{
  g_autoptr(GPtrArray) containers = fleet_fault_podman_list_managed (u->f->h);
  gboolean ok = TRUE;

  g_string_truncate (u->problems, 0);
  for (guint i = 0; i < containers->len; i++)
    {
      const char *id = json_object_get_string_member (containers->pdata[i], "Id");
      int index = service_index (containers->pdata[i]);
      g_autofree char *runs = fleet_fault_podman_describe (u->f->h, id);
      g_autofree char *expected
        = g_strdup_printf ("%s /bin/sh -c %s %s-v%u", fault_service_image (u->version),
                           FAULT_SCRIPT_POLITE, services[index].service, u->version);

      if (g_strcmp0 (runs, expected) != 0)
        {
          g_string_append_printf (u->problems, "%.12s runs \"%s\", not \"%s\"; ", id, runs,
                                  expected);
          ok = FALSE;
        }
    }
  return ok;
}

/* Exactly one container per service, running, at the latest version, and
 * no other fleet container. */
static gboolean
converged (gpointer user_data)
{
  Upgrades *u = user_data;
  g_autoptr(GPtrArray) containers = fleet_fault_podman_list_managed (u->f->h);
  guint count[G_N_ELEMENTS (services)] = { 0 };
  gboolean ok = TRUE;

  g_string_truncate (u->problems, 0);
  for (guint i = 0; i < containers->len; i++)
    {
      int index = service_index (containers->pdata[i]);

      ok = check_container (u, containers->pdata[i], index) && ok;
      if (index >= 0)
        count[index]++;
    }
  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    if (count[i] != 1)
      {
        g_string_append_printf (u->problems, "%s/%s has %u containers; ", services[i].deployment,
                                services[i].service, count[i]);
        ok = FALSE;
      }
  return ok;
}

static void
show_failure (Upgrades *u, const char *what)
{
  g_autofree char *log = fleet_fault_rig_read_log (u->f->rig);
  g_autofree char *ps = NULL;
  g_autoptr(GError) error = NULL;

  fleet_podman_harness_podman (u->f->h, &ps, &error, "ps", "-a", "--format",
                               "{{.ID}} {{.Names}} {{.State}} {{.Labels}}", NULL);
  g_test_message ("podman ps -a:\n%s", ps ? ps : error->message);
  g_test_message ("fleetd's log (last 8000 bytes):\n%s",
                  strlen (log) > 8000 ? log + strlen (log) - 8000 : log);
  g_test_fail_printf ("%s: %s", what, u->problems->str);
}

/* Wait for convergence, then check the history of starts; FALSE (with the
 * test failed) if either does not hold. */
static gboolean
converges_forward (Upgrades *u, guint iteration)
{
  g_autofree char *what = NULL;

  if (!fleet_fault_wait_for (converged, u, CONVERGE_TIMEOUT_SECS))
    {
      what = g_strdup_printf ("iteration %u: not converged on v%u within %d s", iteration,
                              u->version, CONVERGE_TIMEOUT_SECS);
      show_failure (u, what);
      return FALSE;
    }
  if (!runs_what_labels_say (u))
    {
      what = g_strdup_printf ("iteration %u: a container does not run its version", iteration);
      show_failure (u, what);
      return FALSE;
    }
  g_string_truncate (u->problems, 0);
  if (!fault_check_starts (u->f, u->version_of_digest, u->problems))
    {
      what = g_strdup_printf ("iteration %u: an older version started again", iteration);
      show_failure (u, what);
      return FALSE;
    }
  return TRUE;
}

static guint
env_uint (const char *name, guint fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback;
}

/* SIGKILL @victim and start again what was killed; podman stays down
 * @downtime_ms, and when both were killed fleetd starts while it is. */
static void
kill_and_restart (Upgrades *u, Victim victim, guint downtime_ms)
{
  if (victim != KILL_PODMAN)
    fleet_fault_rig_kill_fleetd (u->f->rig);
  if (victim != KILL_FLEETD)
    fleet_fault_podman_kill (u->f->h);
  if (victim != KILL_PODMAN)
    fleet_fault_rig_start_fleetd (u->f->rig);
  if (victim != KILL_FLEETD)
    {
      fleet_test_sleep_ms (downtime_ms);
      fleet_fault_podman_restart (u->f->h);
    }
}

static void
test_kill_loop (Fixture *f, gconstpointer data)
{
  guint seed = env_uint ("FLEET_FAULTS_SEED", g_random_int ());
  guint iterations = env_uint ("FLEET_FAULTS_ITERATIONS", DEFAULT_ITERATIONS);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GHashTable) versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) problems = g_string_new (NULL);
  Upgrades u = { f, 0, versions, problems };

  if (!f->ready)
    return;
  g_test_message ("seed %u (replay: FLEET_FAULTS_SEED=%u), %u iterations", seed, seed,
                  iterations);
  publish (&u, 1);
  fleet_fault_rig_start_fleetd (f->rig);
  if (!converges_forward (&u, 0))
    return;
  for (guint i = 1; i <= iterations; i++)
    {
      Victim victim = g_rand_int_range (rand, KILL_FLEETD, KILL_BOTH + 1);
      guint delay_ms = g_rand_int_range (rand, 0, MAX_KILL_DELAY_MS);
      guint downtime_ms = g_rand_int_range (rand, 0, MAX_PODMAN_DOWNTIME_MS);
      gint64 started = g_get_monotonic_time ();
      g_autofree char *downtime = victim == KILL_FLEETD
                                    ? g_strdup ("")
                                    : g_strdup_printf (", podman down %u ms", downtime_ms);

      g_test_message ("iteration %u: v%u -> v%u, SIGKILL to %s %u ms after the document "
                      "changed%s",
                      i, i, i + 1, victim_names[victim], delay_ms, downtime);
      publish (&u, i + 1);
      fleet_test_sleep_ms (delay_ms);
      kill_and_restart (&u, victim, downtime_ms);
      if (!converges_forward (&u, i))
        return;
      g_test_message ("iteration %u: converged after %.1f s", i,
                      (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
    }
}

int
main (int argc, char **argv)
{
  /* The loop passes every time only with the fixes of the faults it found
   * (test-faults-crash.c): listing "loop" in FLEET_FAULTS_PENDING skips it. */
  static const FaultScenario loop = { "loop", FAULT_NEEDS_PODMAN };
  int ret;

  fleet_test_init (&argc, &argv);
  g_test_add ("/faults/loop/kill-during-upgrades", Fixture, &loop, fault_fixture_setup,
              test_kill_loop, fault_fixture_teardown);

  g_assert_true (fleet_test_bus_start ());
  ret = g_test_run ();
  fleet_test_bus_stop ();
  fleet_fault_podman_shutdown ();
  fleet_podman_harness_shutdown ();
  return ret;
}
