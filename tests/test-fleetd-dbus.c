/* test-fleetd-dbus.c: the dev.fleet.Agent1 object on a GTestDBus bus,
 * called through the generated proxy from a second connection, as fleetctl
 * would: GetStatus, Plan (valid and invalid), Reconcile, the properties
 * and the DeploymentPhaseChanged signal.  Errors must arrive as their
 * dev.fleet.Error.* names.  (Refusing non-root callers needs another user:
 * tests/test-daemon.c covers it.)
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-test-utils.h"
#include "fleet-util-private.h"
#include "fleetd-dbus-agent.h"

#define DOC_TMPL                                                                            \
  "{\"generation\":%d,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{"          \
  "\"services\":[{\"name\":\"web\",\"image\":\"%s\"}]}}}}"

typedef struct
{
  GTestDBus *bus;
  char *dir;
  char *doc_path;
  FleetFakeRuntime *runtime;
  FleetReconciler *reconciler;
  FleetdAgent *agent;
  FleetdDBusAgent *object;
  GDBusConnection *service_connection;
  GDBusConnection *client_connection;
  FleetAgent1 *proxy;
} Fixture;

static void
write_doc (Fixture *f, int generation, const char *image)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, generation, image);

  g_file_set_contents (f->doc_path, doc, -1, &error);
  g_assert_no_error (error);
}

static void
new_agent (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FleetSource) source = NULL;
  g_autofree char *uri = g_filename_to_uri (f->doc_path, NULL, NULL);

  source = fleet_source_new_for_uri (uri, "test-device", &error);
  g_assert_no_error (error);
  f->runtime = fleet_fake_runtime_new ();
  f->reconciler = fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (f->runtime), NULL);
  f->agent = fleetd_agent_new (f->reconciler, source, "test-device", NULL);
}

static GDBusConnection *
connect_to_bus (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_sync (
    g_test_dbus_get_bus_address (f->bus),
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);

  g_assert_no_error (error);
  return connection;
}

static void
on_proxy (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  *(FleetAgent1 **) user_data = fleet_agent1_proxy_new_finish (result, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->dir = fleet_test_make_tmpdir ();
  f->doc_path = g_build_filename (f->dir, "device.json", NULL);
  write_doc (f, 1, "localhost/hello:v1");
  new_agent (f);

  f->service_connection = connect_to_bus (f);
  f->object = fleetd_dbus_agent_new (f->agent);
  g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (f->object), f->service_connection,
                                    FLEET_DBUS_PATH, &error);
  g_assert_no_error (error);

  /* The client is another connection, as fleetctl is; calls are async
   * because the service answers from this very main context. */
  f->client_connection = connect_to_bus (f);
  fleet_agent1_proxy_new (f->client_connection, G_DBUS_PROXY_FLAGS_NONE,
                          g_dbus_connection_get_unique_name (f->service_connection),
                          FLEET_DBUS_PATH, NULL, on_proxy, &f->proxy);
  while (f->proxy == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->proxy);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (f->object));
  g_clear_object (&f->object);
  g_dbus_connection_close_sync (f->client_connection, NULL, NULL);
  g_dbus_connection_close_sync (f->service_connection, NULL, NULL);
  g_clear_object (&f->client_connection);
  g_clear_object (&f->service_connection);
  g_clear_object (&f->agent);
  g_clear_object (&f->reconciler);
  g_clear_object (&f->runtime);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->doc_path);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  char *out;
  GError *error;
} Call;

static void
call_clear (Call *call)
{
  g_free (call->out);
  g_clear_error (&call->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Call, call_clear)

static void
on_get_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->ok = fleet_agent1_call_get_status_finish (FLEET_AGENT1 (source), &call->out, result,
                                                  &call->error);
  call->done = TRUE;
}

static void
on_reconcile (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->ok = fleet_agent1_call_reconcile_finish (FLEET_AGENT1 (source), &call->out, result,
                                                 &call->error);
  call->done = TRUE;
}

static void
on_plan (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->ok = fleet_agent1_call_plan_finish (FLEET_AGENT1 (source), &call->out, result,
                                            &call->error);
  call->done = TRUE;
}

static void
reconcile (Fixture *f, Call *call)
{
  fleet_agent1_call_reconcile (f->proxy, NULL, on_reconcile, call);
  fleet_test_wait (&call->done);
}

static void
plan (Fixture *f, const char *document, Call *call)
{
  fleet_agent1_call_plan (f->proxy, document, NULL, on_plan, call);
  fleet_test_wait (&call->done);
}

/* Wait until the proxy's cache has caught up with the service. */
static void
wait_for_property (Fixture *f, const char *(*get) (FleetAgent1 *), const char *value)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_strcmp0 (get (f->proxy), value) != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_properties (Fixture *f, gconstpointer data)
{
  g_auto (Call) call = { 0, };

  g_assert_cmpstr (fleet_agent1_get_version (f->proxy), ==, PACKAGE_VERSION);
  g_assert_cmpstr (fleet_agent1_get_device_id (f->proxy), ==, "test-device");
  g_assert_cmpstr (fleet_agent1_get_phase (f->proxy), ==, "Pending");
  g_assert_cmpint (fleet_agent1_get_generation (f->proxy), ==, -1);
  g_assert_cmpstr (fleet_agent1_get_desired_digest (f->proxy), ==, "");
  g_assert_cmpstr (fleet_agent1_get_last_fetch_at (f->proxy), ==, "");
  g_assert_cmpstr (fleet_agent1_get_last_fetch_result (f->proxy), ==, "");
  g_assert_cmpstr (fleet_agent1_get_last_fetch_error (f->proxy), ==, "");

  reconcile (f, &call);
  g_assert_no_error (call.error);
  wait_for_property (f, fleet_agent1_get_phase, "Running");
  g_assert_cmpint (fleet_agent1_get_generation (f->proxy), ==, 1);
  g_assert_cmpstr (fleet_agent1_get_desired_digest (f->proxy), ==,
                   fleet_reconciler_get_desired (f->reconciler)->digest);
  g_assert_cmpstr (fleet_agent1_get_last_fetch_result (f->proxy), ==, "ok");
  g_assert_cmpstr (fleet_agent1_get_last_fetch_at (f->proxy), !=, "");

  /* A failed fetch shows in the properties too. */
  g_unlink (f->doc_path);
  call_clear (&call);
  memset (&call, 0, sizeof call);
  reconcile (f, &call);
  g_assert_nonnull (call.error);
  wait_for_property (f, fleet_agent1_get_last_fetch_result, "error");
  g_assert_cmpstr (fleet_agent1_get_last_fetch_error (f->proxy), !=, "");
  g_assert_cmpstr (fleet_agent1_get_phase (f->proxy), ==, "Running");
}

static void
test_get_status (Fixture *f, gconstpointer data)
{
  g_auto (Call) applied = { 0, };
  g_auto (Call) call = { 0, };
  g_autoptr(JsonNode) status = NULL;
  JsonObject *object;

  reconcile (f, &applied);
  fleet_agent1_call_get_status (f->proxy, NULL, on_get_status, &call);
  fleet_test_wait (&call.done);
  g_assert_no_error (call.error);
  status = json_from_string (call.out, NULL);
  g_assert_nonnull (status);
  object = json_node_get_object (status);
  g_assert_cmpstr (json_object_get_string_member (object, "device_id"), ==, "test-device");
  g_assert_cmpstr (json_object_get_string_member (object, "agent_version"), ==, PACKAGE_VERSION);
  g_assert_cmpint (json_object_get_int_member (object, "generation"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "phase"), ==, "Running");
  g_assert_true (json_object_has_member (object, "last_fetch"));
  g_assert_true (json_object_has_member (json_object_get_object_member (object, "deployments"),
                                         "hello"));
}

static void
test_plan_valid (Fixture *f, gconstpointer data)
{
  g_auto (Call) call = { 0, };
  g_autofree char *doc = g_strdup_printf (DOC_TMPL, 1, "localhost/hello:v1");
  g_autoptr(JsonNode) json = NULL;
  JsonArray *actions;
  g_autofree char *kinds = NULL;
  GString *seen = g_string_new (NULL);

  plan (f, doc, &call);
  g_assert_no_error (call.error);
  json = json_from_string (call.out, NULL);
  g_assert_nonnull (json);
  actions = json_object_get_array_member (json_node_get_object (json), "actions");
  for (guint i = 0; i < json_array_get_length (actions); i++)
    g_string_append_printf (seen, "%s ",
                            json_object_get_string_member (json_array_get_object_element (
                                                             actions, i),
                                                           "action"));
  kinds = g_string_free (seen, FALSE);
  g_assert_cmpstr (kinds, ==, "pull start ");
  /* A dry run: the runtime was not asked anything. */
  g_assert_cmpuint (fleet_fake_runtime_get_calls (f->runtime)->len, ==, 0);
  g_assert_null (fleet_reconciler_get_desired (f->reconciler));
}

static void
test_plan_invalid (Fixture *f, gconstpointer data)
{
  g_auto (Call) call = { 0, };
  g_autofree char *remote = NULL;

  plan (f, "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
           "[{\"name\":\"web\",\"image\":\"x\",\"ports\":[\"80:x\"]}]}}}}",
        &call);
  g_assert_false (call.ok);
  g_assert_error (call.error, FLEET_ERROR, FLEET_ERROR_INVALID_DOCUMENT);
  remote = g_dbus_error_get_remote_error (call.error);
  g_assert_cmpstr (remote, ==, "dev.fleet.Error.InvalidDocument");
  g_dbus_error_strip_remote_error (call.error);
  g_assert_true (g_str_has_prefix (call.error->message,
                                   "deployments.hello.data.services[0].ports[0]: "));
}

static void
test_reconcile (Fixture *f, gconstpointer data)
{
  g_auto (Call) ok = { 0, };
  g_auto (Call) failed = { 0, };
  g_auto (Call) unreachable = { 0, };
  g_autofree char *remote = NULL;

  reconcile (f, &ok);
  g_assert_no_error (ok.error);
  g_assert_cmpstr (ok.out, ==, "Running");

  write_doc (f, 2, "localhost/hello:broken");
  fleet_fake_runtime_set_start_fails (f->runtime, "localhost/hello:broken", TRUE);
  reconcile (f, &failed);
  g_assert_no_error (failed.error);
  g_assert_cmpstr (failed.out, ==, "Failed");

  g_unlink (f->doc_path);
  reconcile (f, &unreachable);
  g_assert_error (unreachable.error, FLEET_ERROR, FLEET_ERROR_FETCH_FAILED);
  remote = g_dbus_error_get_remote_error (unreachable.error);
  g_assert_cmpstr (remote, ==, "dev.fleet.Error.FetchFailed");
}

static void
on_deployment_phase_changed (FleetAgent1 *proxy, const char *deployment, const char *phase,
                             gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup_printf ("%s=%s", deployment, phase));
}

static void
test_signal (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_auto (Call) call = { 0, };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_signal_connect (f->proxy, "deployment-phase-changed",
                    G_CALLBACK (on_deployment_phase_changed), events);
  reconcile (f, &call);
  g_assert_no_error (call.error);
  while (events->len < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpstr (events->pdata[0], ==, "hello=Pending");
  g_assert_cmpstr (events->pdata[1], ==, "hello=Running");
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);
  (void) fleet_error_quark ();

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/fleetd-dbus/properties", test_properties);
  ADD ("/fleetd-dbus/get-status", test_get_status);
  ADD ("/fleetd-dbus/plan-valid", test_plan_valid);
  ADD ("/fleetd-dbus/plan-invalid", test_plan_invalid);
  ADD ("/fleetd-dbus/reconcile", test_reconcile);
  ADD ("/fleetd-dbus/signal", test_signal);
#undef ADD

  return g_test_run ();
}
