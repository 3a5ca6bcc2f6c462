/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-downtime.c: how long a service is down during an upgrade, as a
 * client sees it, on a real podman (a private one, as in the tests).
 *
 * The deployment "bench" has a web service (busybox httpd serving its
 * version, with an HTTP check) and a prober on the same deployment network
 * that asks http://<name>:8080/ every 10 ms, by name, and appends one line
 * per request to a file in a volume: when it started and ended, which name
 * it asked and whether it got an answer.  Each repetition upgrades:
 *
 *   - by hand: a container made beside fleet's, known on the network as
 *     "manual", is upgraded with podman's own REST calls (stop, rm, create,
 *     start), as an operator's script would;
 *   - by the reconciler, stop-first (the default order);
 *   - by the reconciler, start-first.
 *
 * Down time is from the start of the first failed request to the start of
 * the first successful one after the last failure; failed requests are
 * counted by cause (wget's complaint; FLEET_BENCH_VERBOSE=1 prints each
 * one).  Run by `make bench`, not `make check`: the figures depend on the
 * machine.
 *
 * Targets (issue 11): stop-first down no more than 1.2 times as long as
 * podman's own stop, rm, create, start (medians), and no failed request
 * during a start-first upgrade.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "fleet-podman-harness.h"
#include "fleet-test-utils.h"

#define REPETITIONS 7
#define TARGET_RATIO 1.2
#define STEADY_PROBES 20
#define DEADLINE_SECS 120
#define NETWORK "fleet-bench"
#define IMAGE "localhost/fleet-test:v1"

/* httpd serves $VERSION; SIGTERM ends it at once (PID 1 has no default
 * handler, so the shell traps it). */
#define WEB_SCRIPT                                                                             \
  "mkdir -p /www; echo $VERSION >/www/index.html; trap 'kill $p; exit 0' TERM; "               \
  "httpd -f -p 8080 -h /www & p=$!; wait"

/* One line per request: start end name ok|fail and the body or wget's
 * complaint.  busybox wget's -T crashes: timeout(1) bounds a request
 * instead. */
#define PROBE_SCRIPT                                                                           \
  "trap 'exit 0' TERM; while :; do read t </probe/target; s=$EPOCHREALTIME; "                  \
  "if v=$(timeout 1 wget -q -O- http://$t:8080/ 2>&1); then r=ok; else r=fail; fi; "           \
  "echo $s $EPOCHREALTIME $t $r ${v:--} >>/probe/log; sleep 0.01; done"

typedef enum
{
  MODE_MANUAL,
  MODE_STOP_FIRST,
  MODE_START_FIRST,
  N_MODES
} Mode;

static const char *const mode_names[N_MODES] = { "podman by hand", "stop-first", "start-first" };

typedef struct
{
  FleetPodmanHarness *h;
  FleetPodmanRuntime *runtime;
  FleetReconciler *reconciler;
  SoupSession *session;
  char *state_dir;
  char *probe_dir;
  int generation;
  guint fleet_version;
  guint manual_version;
} Bench;

/* Why a request failed, from wget's complaint. */
typedef enum
{
  CAUSE_REFUSED,   /* nothing listens at the address the name resolved to */
  CAUSE_CUT,       /* the server went away during the request */
  CAUSE_NO_NAME,   /* the name resolves to no address */
  CAUSE_TIMED_OUT, /* nothing at all within 1 s: a lost DNS query, a vanished address */
  CAUSE_OTHER,
  N_CAUSES
} Cause;

static const char *const cause_names[N_CAUSES] = { "refused", "cut", "no name", "timed out",
                                                   "other" };

typedef struct
{
  double down_ms;
  double stalled_ms; /* of which in requests that timed out */
  guint failed;
  guint causes[N_CAUSES];
  guint probes;
  double period_ms;  /* mean time from one request's start to the next's */
  double slowest_ms; /* the longest request */
} Outcome;

/* The main loop, for @msecs. */

static gboolean
on_spin_over (gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
spin (guint msecs)
{
  gboolean over = FALSE;

  g_timeout_add (msecs, on_spin_over, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

/* Podman's REST API, synchronously, as an operator's script would use it. */
static void
rest (Bench *b, const char *method, const char *path, const char *body)
{
  g_autofree char *uri = g_strconcat ("http://podman/v4.0.0/libpod", path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (b->session, msg, NULL, &error);
  if (answer == NULL)
    g_error ("%s %s: %s", method, path, error->message);
  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    g_error ("%s %s: HTTP %u: %.*s", method, path, status, (int)g_bytes_get_size (answer),
             (const char *)g_bytes_get_data (answer, NULL));
}

static void
manual_create (Bench *b, guint version)
{
  g_autofree char *body = g_strdup_printf (
    "{\"name\":\"manual\",\"image\":\"" IMAGE "\",\"command\":[\"/bin/sh\",\"-c\",\"" WEB_SCRIPT
    "\"],\"env\":{\"VERSION\":\"m%u\"},\"stop_timeout\":5,\"netns\":{\"nsmode\":\"bridge\"},"
    "\"Networks\":{\"" NETWORK "\":{\"aliases\":[\"manual\"]}}}",
    version);

  rest (b, "POST", "/containers/create", body);
  rest (b, "POST", "/containers/manual/start", NULL);
}

static void
manual_upgrade (Bench *b, guint version)
{
  rest (b, "POST", "/containers/manual/stop?timeout=5", NULL);
  rest (b, "DELETE", "/containers/manual", NULL);
  manual_create (b, version);
  b->manual_version = version;
}

/* The reconciler's side. */

static FleetDocument *
bench_doc (Bench *b, guint version, const char *order)
{
  g_autofree char *json = g_strdup_printf (
    "{\"generation\":%d,\"deployments\":{\"bench\":{\"type\":\"PodmanV0\",\"data\":{"
    "\"services\":[{\"name\":\"web\",\"image\":\"" IMAGE "\",\"command\":[\"/bin/sh\",\"-c\",\""
    WEB_SCRIPT "\"],\"env\":{\"VERSION\":\"f%u\"},\"healthcheck\":{\"http\":{\"port\":8080},"
    "\"interval\":\"1s\",\"timeout\":\"1s\",\"retries\":1},\"update_config\":{\"order\":\"%s\"}},"
    "{\"name\":\"probe\",\"image\":\"" IMAGE "\",\"command\":[\"/bin/sh\",\"-c\",\"" PROBE_SCRIPT
    "\"],\"volumes\":[\"%s:/probe\"]}],\"lifecycle\":{\"grace_period_secs\":5}}}}}",
    ++b->generation, version, order, b->probe_dir);

  return fleet_test_document (json);
}

static FleetPhase
bench_phase (Bench *b)
{
  const FleetDeploymentRecord *record =
    fleet_state_lookup_deployment (fleet_reconciler_get_state (b->reconciler), "bench");

  return record ? record->phase : FLEET_PHASE_PENDING;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("%s did not happen within %d s", (const char *)user_data, DEADLINE_SECS);
  return G_SOURCE_REMOVE;
}

static void
on_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fleet_reconciler_apply_finish (FLEET_RECONCILER (source), result, NULL, &error))
    g_error ("applying a document: %s", error->message);
  *(gboolean *)user_data = TRUE;
}

/* Apply web @version with @order, until it runs and nothing else is left
 * to do (no candidate). */
static void
fleet_upgrade (Bench *b, guint version, const char *order)
{
  g_autoptr(FleetDocument) doc = bench_doc (b, version, order);
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "bench", "web");
  FleetState *state = fleet_reconciler_get_state (b->reconciler);
  guint deadline = g_timeout_add_seconds (DEADLINE_SECS, on_deadline, (gpointer)"an upgrade");
  const FleetServiceRecord *web;
  gboolean applied = FALSE;

  fleet_reconciler_apply_async (b->reconciler, doc, FLEET_APPLY_FLAGS_NONE, NULL, on_applied,
                                &applied);
  for (;;)
    {
      g_main_context_iteration (NULL, TRUE);
      web = fleet_state_lookup_service (state, "bench", "web");
      if (applied && bench_phase (b) == FLEET_PHASE_RUNNING && web != NULL
          && g_strcmp0 (web->spec_digest, spec->digest) == 0 && web->candidate_digest == NULL)
        break;
    }
  g_source_remove (deadline);
  b->fleet_version = version;
}

/* The prober's log. */

typedef struct
{
  double start, end; /* seconds since the epoch */
  char *name;
  gboolean ok;
  char *body;
} Probe;

static void
probe_clear (gpointer data)
{
  Probe *p = data;

  g_free (p->name);
  g_free (p->body);
}

static char *
log_path (Bench *b)
{
  return g_build_filename (b->probe_dir, "log", NULL);
}

static gsize
log_size (Bench *b)
{
  g_autofree char *path = log_path (b);
  GStatBuf buf;

  return g_stat (path, &buf) == 0 ? (gsize)buf.st_size : 0;
}

/* Every complete line from @offset on that asked @name. */
static GArray *
read_probes (Bench *b, gsize offset, const char *name)
{
  g_autofree char *path = log_path (b);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GArray *probes = g_array_new (FALSE, TRUE, sizeof (Probe));
  gsize len = 0;
  char *last_newline;

  g_array_set_clear_func (probes, probe_clear);
  if (!g_file_get_contents (path, &text, &len, NULL) || len <= offset)
    return probes;
  last_newline = strrchr (text + offset, '\n');
  if (last_newline == NULL)
    return probes;
  *last_newline = '\0';
  lines = g_strsplit (text + offset, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 5);
      Probe p = { 0 };

      if (g_strv_length (fields) != 5 || g_strcmp0 (fields[2], name) != 0)
        continue;
      p.start = g_ascii_strtod (fields[0], NULL);
      p.end = g_ascii_strtod (fields[1], NULL);
      p.name = g_strdup (fields[2]);
      p.ok = g_str_equal (fields[3], "ok");
      p.body = g_strdup (fields[4]);
      g_array_append_val (probes, p);
    }
  return probes;
}

/* Until the last STEADY_PROBES requests for @name from @offset on all got
 * @body. */
static void
wait_steady (Bench *b, gsize offset, const char *name, const char *body)
{
  guint deadline = g_timeout_add_seconds (DEADLINE_SECS, on_deadline,
                                          (gpointer)"steady answers from the service");

  for (;;)
    {
      g_autoptr(GArray) probes = read_probes (b, offset, name);
      guint good = 0;

      for (guint i = probes->len; i > 0 && good < STEADY_PROBES; i--, good++)
        {
          Probe *p = &g_array_index (probes, Probe, i - 1);

          if (!p->ok || g_strcmp0 (p->body, body) != 0)
            break;
        }
      if (good >= STEADY_PROBES)
        break;
      spin (50);
    }
  g_source_remove (deadline);
}

static Cause
cause_of (const char *complaint)
{
  if (strstr (complaint, "Connection refused") != NULL)
    return CAUSE_REFUSED;
  if (strstr (complaint, "reset by peer") != NULL || strstr (complaint, "prematurely") != NULL
      || strstr (complaint, "error getting response") != NULL)
    return CAUSE_CUT;
  if (strstr (complaint, "bad address") != NULL)
    return CAUSE_NO_NAME;
  if (g_str_equal (complaint, "-") || strstr (complaint, "Terminated") != NULL)
    return CAUSE_TIMED_OUT;
  return CAUSE_OTHER;
}

static Outcome
outcome_of (GArray *probes)
{
  Outcome o = { 0 };
  int first_fail = -1, last_fail = -1;

  o.probes = probes->len;
  for (guint i = 0; i < probes->len; i++)
    {
      Probe *p = &g_array_index (probes, Probe, i);

      o.slowest_ms = MAX (o.slowest_ms, (p->end - p->start) * 1000);
      if (p->ok)
        continue;
      o.failed++;
      o.causes[cause_of (p->body)]++;
      if (cause_of (p->body) == CAUSE_TIMED_OUT)
        o.stalled_ms += (p->end - p->start) * 1000;
      if (first_fail < 0)
        first_fail = (int)i;
      last_fail = (int)i;
    }
  if (probes->len > 1)
    o.period_ms = (g_array_index (probes, Probe, probes->len - 1).start
                   - g_array_index (probes, Probe, 0).start)
                  * 1000 / (probes->len - 1);
  if (first_fail >= 0 && (guint)last_fail + 1 < probes->len)
    o.down_ms = (g_array_index (probes, Probe, last_fail + 1).start
                 - g_array_index (probes, Probe, first_fail).start)
                * 1000;
  else if (first_fail >= 0)
    g_error ("the service never answered again");
  return o;
}

/* FLEET_BENCH_VERBOSE=1: each failed request, for finding out why. */
static void
print_failures (GArray *probes)
{
  if (g_strcmp0 (g_getenv ("FLEET_BENCH_VERBOSE"), "1") != 0)
    return;
  for (guint i = 0; i < probes->len; i++)
    {
      Probe *p = &g_array_index (probes, Probe, i);

      if (!p->ok)
        g_print ("       %.6f +%6.1f ms  %s\n", p->start, (p->end - p->start) * 1000, p->body);
    }
}

static void
set_target (Bench *b, const char *name)
{
  g_autofree char *path = g_build_filename (b->probe_dir, "target", NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, name, -1, &error))
    g_error ("%s", error->message);
}

/* One upgrade by @mode, measured from the prober's log. */
static Outcome
measure (Bench *b, Mode mode)
{
  const char *name = mode == MODE_MANUAL ? "manual" : "web";
  char prefix = mode == MODE_MANUAL ? 'm' : 'f';
  guint from = mode == MODE_MANUAL ? b->manual_version : b->fleet_version;
  guint to = from + 1;
  g_autofree char *old_body = g_strdup_printf ("%c%u", prefix, from);
  g_autofree char *new_body = g_strdup_printf ("%c%u", prefix, to);
  g_autoptr(GArray) probes = NULL;
  gsize offset;

  set_target (b, name);
  wait_steady (b, log_size (b), name, old_body);
  offset = log_size (b);
  if (mode == MODE_MANUAL)
    manual_upgrade (b, to);
  else
    fleet_upgrade (b, to, mode == MODE_STOP_FIRST ? "stop-first" : "start-first");
  wait_steady (b, offset, name, new_body);
  probes = read_probes (b, offset, name);
  print_failures (probes);
  return outcome_of (probes);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static double
median (double *values, guint n)
{
  qsort (values, n, sizeof values[0], compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Figures only: the agent's action log and GLib's debug chatter go. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

static void
bench_start (Bench *b, FleetPodmanHarness *h)
{
  g_autoptr(GSocketAddress) address =
    g_unix_socket_address_new (fleet_podman_harness_get_socket (h));
  g_autoptr(GError) error = NULL;

  b->h = h;
  b->state_dir = fleet_test_make_tmpdir ();
  b->probe_dir = fleet_test_make_tmpdir ();
  b->session = soup_session_new_with_options ("remote-connectable", address, "timeout", 60, NULL);
  b->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (h));
  b->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (b->runtime), b->state_dir);
  if (!fleet_reconciler_load_state (b->reconciler, &error))
    g_error ("%s", error->message);
  fleet_reconciler_watch_runtime_events (b->reconciler);

  set_target (b, "web");
  fleet_upgrade (b, 1, "stop-first");
  manual_create (b, 1);
  b->manual_version = 1;
}

static void
on_shut_down (GObject *source, GAsyncResult *result, gpointer user_data)
{
  fleet_reconciler_shutdown_finish (FLEET_RECONCILER (source), result, NULL);
  *(gboolean *)user_data = TRUE;
}

static void
bench_stop (Bench *b)
{
  gboolean done = FALSE;

  fleet_reconciler_shutdown_async (b->reconciler, NULL, on_shut_down, &done);
  fleet_test_wait (&done);
  g_clear_object (&b->reconciler);
  g_clear_object (&b->runtime);
  g_clear_object (&b->session);
  fleet_podman_harness_reset (b->h);
  fleet_test_rm_rf (b->state_dir);
  fleet_test_rm_rf (b->probe_dir);
  g_free (b->state_dir);
  g_free (b->probe_dir);
}

static char *
causes_to_string (const guint *causes)
{
  GString *text = g_string_new (NULL);

  for (Cause c = 0; c < N_CAUSES; c++)
    if (causes[c] > 0)
      g_string_append_printf (text, "%s%u %s", text->len ? ", " : "", causes[c], cause_names[c]);
  return g_string_free (text, FALSE);
}

static void
print_outcome (guint repetition, Mode mode, const Outcome *o)
{
  g_autofree char *causes = causes_to_string (o->causes);

  g_print ("  %u  %-15s down %7.1f ms, failed %3u of %4u requests (one every %.1f ms), "
           "slowest %6.1f ms%s%s%s\n",
           repetition + 1, mode_names[mode], o->down_ms, o->failed, o->probes, o->period_ms,
           o->slowest_ms, *causes ? " (" : "", causes, *causes ? ")" : "");
}

typedef enum
{
  FIGURE_DOWN,
  FIGURE_DOWN_UNSTALLED,
  FIGURE_FAILED
} Figure;

/* The median of one figure of @mode's outcomes. */
static double
median_of (Outcome outcomes[N_MODES][REPETITIONS], Mode mode, Figure figure)
{
  double values[REPETITIONS];

  for (guint i = 0; i < REPETITIONS; i++)
    {
      const Outcome *o = &outcomes[mode][i];

      values[i] = figure == FIGURE_FAILED ? o->failed
                  : figure == FIGURE_DOWN ? o->down_ms
                                          : o->down_ms - o->stalled_ms;
    }
  return median (values, REPETITIONS);
}

/* The ratio leaves out the seconds requests stalled without any answer:
 * aardvark-dns 1.4 drops queries while it reloads, which every container
 * start and stop on the network makes it do, and where a lost query falls
 * is chance, not the work of whoever upgrades. */
static void
report (Outcome outcomes[N_MODES][REPETITIONS])
{
  double manual = median_of (outcomes, MODE_MANUAL, FIGURE_DOWN_UNSTALLED);
  double stop_first = median_of (outcomes, MODE_STOP_FIRST, FIGURE_DOWN_UNSTALLED);
  double ratio = manual > 0 ? stop_first / manual : 0;
  guint worst = 0, causes[N_CAUSES] = { 0 };
  g_autofree char *why = NULL;

  g_print ("Medians of %d:\n", REPETITIONS);
  for (Mode mode = 0; mode < N_MODES; mode++)
    g_print ("  %-15s down %7.1f ms (%7.1f ms without stalled requests), %.0f failed "
             "requests\n",
             mode_names[mode], median_of (outcomes, mode, FIGURE_DOWN),
             median_of (outcomes, mode, FIGURE_DOWN_UNSTALLED),
             median_of (outcomes, mode, FIGURE_FAILED));
  for (guint i = 0; i < REPETITIONS; i++)
    {
      worst = MAX (worst, outcomes[MODE_START_FIRST][i].failed);
      for (Cause c = 0; c < N_CAUSES; c++)
        causes[c] += outcomes[MODE_START_FIRST][i].causes[c];
    }
  why = causes_to_string (causes);
  g_print ("stop-first / podman by hand, without stalled requests: %.2f (target <= %.1f): %s\n",
           ratio, TARGET_RATIO, manual > 0 && ratio <= TARGET_RATIO ? "PASS" : "MISS");
  g_print ("start-first: at most %u failed requests in one upgrade (target 0): %s%s%s%s\n", worst,
           worst == 0 ? "PASS" : "MISS", *why ? " (all told: " : "", why, *why ? ")" : "");
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  Outcome outcomes[N_MODES][REPETITIONS];
  FleetPodmanHarness *h;
  Bench b = { 0 };

  g_log_set_writer_func (quiet_writer, NULL, NULL);
  h = fleet_podman_harness_get (&error);
  if (h == NULL)
    {
      g_printerr ("bench-downtime: cannot run podman: %s\n", error->message);
      return 1;
    }
  g_print ("bench-downtime: a client's view of an upgrade (requests by service name every "
           "10 ms on the deployment's network), %d repetitions\n",
           REPETITIONS);
  bench_start (&b, h);
  for (guint i = 0; i < REPETITIONS; i++)
    for (Mode mode = 0; mode < N_MODES; mode++)
      {
        outcomes[mode][i] = measure (&b, mode);
        print_outcome (i, mode, &outcomes[mode][i]);
      }
  report (outcomes);
  bench_stop (&b);
  fleet_podman_harness_shutdown ();
  return 0;
}
