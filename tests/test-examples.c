/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-examples.c: the example documents shipped in data/examples/ are
 * valid, and walking them v1 -> v2 -> v3 does what the documentation says;
 * the worked digest example in fleet-desired-state(5) matches the code.
 */
#include "config.h"

#include <string.h>

#include "fleet-test-utils.h"

/* The web service of hello-v1.json in canonical form, with the effective
 * lifecycle added, and its digest: fleet-desired-state(5), "SERVICE DIGEST". */
#define V1_WEB_CANONICAL                                                                     \
  "{\"command\":[\"/bin/httpd\",\"-f\",\"-p\",\"8080\"],\"image\":\"localhost/fleet-example:v1\"," \
  "\"lifecycle\":{\"grace_period_secs\":30,\"stop_signal\":\"SIGTERM\"},\"name\":\"web\","    \
  "\"ports\":[\"8080:8080\"]}"
#define V1_WEB_DIGEST "sha256:17a4d4d3aecdcab58c00738563d6648fa815ca45a792690863c4207fc921f894"

static FleetDocument *
load_example (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "examples", name,
                                                 NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  FleetDocument *document;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  document = fleet_document_new_from_data (contents, len, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (document);
  return document;
}

static void
test_parse (gconstpointer data)
{
  const char *name = data;
  g_autoptr(FleetDocument) document = load_example (name);
  FleetDeploymentSpec *hello = fleet_document_lookup_deployment (document, "hello");
  FleetServiceSpec *web = fleet_document_lookup_service (document, "hello", "web");

  g_assert_nonnull (hello);
  g_assert_nonnull (web);
  g_assert_cmpuint (document->deployments->len, ==, 1);
  g_assert_true (g_str_has_prefix (web->image, "localhost/fleet-example:v"));
  /* the example image serves on 8080, published on the host's 8080 */
  g_assert_cmpstr (web->command[0], ==, "/bin/httpd");
  g_assert_cmpuint (web->ports->len, ==, 1);
  g_assert_cmpuint (((FleetPortMapping *) web->ports->pdata[0])->host_port, ==, 8080);
}

static void
test_versions (void)
{
  g_autoptr(FleetDocument) v1 = load_example ("hello-v1.json");
  g_autoptr(FleetDocument) v2 = load_example ("hello-v2.json");
  g_autoptr(FleetDocument) v3 = load_example ("hello-v3.json");
  FleetServiceSpec *web1 = fleet_document_lookup_service (v1, "hello", "web");
  FleetServiceSpec *web2 = fleet_document_lookup_service (v2, "hello", "web");
  FleetDeploymentSpec *hello3 = fleet_document_lookup_deployment (v3, "hello");

  g_assert_cmpint (v1->generation, ==, 1);
  g_assert_cmpint (v2->generation, ==, 2);
  g_assert_cmpint (v3->generation, ==, 3);

  g_assert_cmpstr (web1->image, ==, "localhost/fleet-example:v1");
  g_assert_cmpuint (g_strv_length (web1->env), ==, 0);
  /* v2: a new image, and an env */
  g_assert_cmpstr (web2->image, ==, "localhost/fleet-example:v2");
  g_assert_cmpuint (g_strv_length (web2->env), ==, 1);
  /* v3: a second service, and a shorter grace period */
  g_assert_cmpuint (hello3->services->len, ==, 2);
  g_assert_cmpuint (hello3->lifecycle.grace_period_secs, ==, 10);
  g_assert_cmpstr (hello3->lifecycle.stop_signal, ==, "SIGTERM");
  g_assert_nonnull (fleet_document_lookup_service (v3, "hello", "api"));
}

static void
test_upgrade (void)
{
  g_autoptr(FleetFakeRuntime) runtime = fleet_fake_runtime_new ();
  g_autoptr(FleetReconciler) reconciler =
    fleet_reconciler_new (FLEET_CONTAINER_RUNTIME (runtime), NULL);
  g_autoptr(FleetDocument) v1 = load_example ("hello-v1.json");
  g_autoptr(FleetDocument) v2 = load_example ("hello-v2.json");
  g_autoptr(FleetDocument) v3 = load_example ("hello-v3.json");
  g_autoptr(FleetPlan) plan2 = NULL;
  g_autoptr(FleetPlan) plan3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *web1 = NULL;
  g_autofree char *web2 = NULL;

  g_assert_cmpint (fleet_test_apply_ok (reconciler, v1), ==, FLEET_PHASE_RUNNING);
  web1 = g_strdup (fleet_test_recorded_id (reconciler, "hello", "web"));
  g_assert_nonnull (web1);

  /* v1 -> v2: web is replaced (new image and env) */
  plan2 = fleet_reconciler_plan (reconciler, v2);
  g_assert_cmpuint (fleet_plan_count (plan2, FLEET_PLAN_REPLACE), ==, 1);
  g_assert_cmpuint (fleet_plan_count (plan2, FLEET_PLAN_START), ==, 0);
  g_assert_cmpint (fleet_test_apply_ok (reconciler, v2), ==, FLEET_PHASE_RUNNING);
  web2 = g_strdup (fleet_test_recorded_id (reconciler, "hello", "web"));
  g_assert_cmpstr (web2, !=, web1);

  /* v2 -> v3: web is replaced again (new image, new lifecycle), api started */
  plan3 = fleet_reconciler_plan (reconciler, v3);
  g_assert_cmpuint (fleet_plan_count (plan3, FLEET_PLAN_REPLACE), ==, 1);
  g_assert_cmpuint (fleet_plan_count (plan3, FLEET_PLAN_START), ==, 1);
  g_assert_cmpint (fleet_test_apply_ok (reconciler, v3), ==, FLEET_PHASE_RUNNING);
  g_assert_nonnull (fleet_test_recorded_id (reconciler, "hello", "api"));
  g_assert_cmpstr (fleet_test_recorded_id (reconciler, "hello", "web"), !=, web2);

  /* and going back to v1 is refused: its generation is lower */
  g_assert_false (fleet_test_apply (reconciler, v1, FLEET_APPLY_FLAGS_NONE, NULL, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_GENERATION_BACKWARDS);
}

static void
test_service_digest (void)
{
  g_autoptr(FleetDocument) v1 = load_example ("hello-v1.json");
  FleetServiceSpec *web = fleet_document_lookup_service (v1, "hello", "web");
  g_autofree char *hex =
    g_compute_checksum_for_string (G_CHECKSUM_SHA256, V1_WEB_CANONICAL, -1);
  g_autofree char *digest = g_strconcat ("sha256:", hex, NULL);

  /* the canonical form shown in the man page hashes to the digest shown
   * there, and the parser computes the same one */
  g_assert_cmpstr (digest, ==, V1_WEB_DIGEST);
  g_assert_cmpstr (web->digest, ==, V1_WEB_DIGEST);
}

/* The digests the release that shipped these examples computed for them.
 * A fleetd upgraded in place compares the digests it recorded with the ones
 * it computes now: if these changed, it would recreate every container. */
typedef struct
{
  const char *file;
  const char *document_digest;
  const char *service_digests[3]; /* "service=digest", in document order */
} PinnedExample;

static const PinnedExample pinned_examples[] = {
  { "hello-v1.json", "sha256:969d429de5f25d0f1287eba3ffad485539d86c5f43e06be2811afa848f00ebce",
    { "web=sha256:17a4d4d3aecdcab58c00738563d6648fa815ca45a792690863c4207fc921f894" } },
  { "hello-v2.json", "sha256:ef79b9326e0a7b0664c5da370039e8c1c4515e5a87584ef73211916d3341e67c",
    { "web=sha256:1374b48e1ee5ab443847db36e4c36393b4cff158eb46c6c72e5c341a6304c467" } },
  { "hello-v3.json", "sha256:3df069edf7db6387b4aade751f6b5e0d69a6518cb1c0108c6741cff843d19805",
    { "web=sha256:5b1e8d64628205e808e15a25e830081688fa5c6792f8752914d35447027db6ea",
      "api=sha256:136a683e5697a2e543824ab0e59f06fd1f1c65fe4d337b1250a7744b46090765" } },
};

static void
test_pinned_digests (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (pinned_examples); i++)
    {
      const PinnedExample *pinned = &pinned_examples[i];
      g_autoptr(FleetDocument) document = load_example (pinned->file);
      FleetDeploymentSpec *hello = fleet_document_lookup_deployment (document, "hello");
      guint n = 0;

      g_test_message ("%s", pinned->file);
      g_assert_cmpstr (document->digest, ==, pinned->document_digest);
      for (; n < G_N_ELEMENTS (pinned->service_digests) && pinned->service_digests[n]; n++)
        {
          FleetServiceSpec *service = hello->services->pdata[n];
          g_autofree char *actual = g_strconcat (service->name, "=", service->digest, NULL);

          g_assert_cmpstr (actual, ==, pinned->service_digests[n]);
        }
      g_assert_cmpuint (hello->services->len, ==, n);
    }
}

/* The edge example is valid, and shows what it is there to show: a device,
 * host networking, a memory limit, and an init job its gateway waits for. */
static void
test_edge_gateway (void)
{
  g_autoptr(FleetDocument) document = load_example ("edge-gateway.json");
  FleetServiceSpec *gateway = fleet_document_lookup_service (document, "till", "gateway");
  FleetServiceSpec *migrate = fleet_document_lookup_service (document, "till", "migrate");
  FleetServiceDependency *dependency;

  g_assert_nonnull (gateway);
  g_assert_nonnull (migrate);
  g_assert_cmpuint (gateway->devices->len, >, 0);
  g_assert_cmpint (gateway->network_mode, ==, FLEET_NETWORK_MODE_HOST);
  g_assert_cmpint (gateway->mem_limit, >, 0);
  g_assert_cmpint (migrate->restart, ==, FLEET_SERVICE_RESTART_NO);
  g_assert_cmpuint (gateway->depends_on->len, ==, 1);
  dependency = gateway->depends_on->pdata[0];
  g_assert_cmpstr (dependency->service, ==, "migrate");
  g_assert_cmpint (dependency->condition, ==, FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY);
}

static void
test_man_page_digest (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "man",
                                                 "fleet-desired-state.5.in", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, V1_WEB_DIGEST));
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_data_func ("/examples/parse/hello-v1", "hello-v1.json", test_parse);
  g_test_add_data_func ("/examples/parse/hello-v2", "hello-v2.json", test_parse);
  g_test_add_data_func ("/examples/parse/hello-v3", "hello-v3.json", test_parse);
  g_test_add_func ("/examples/versions", test_versions);
  g_test_add_func ("/examples/upgrade-v1-v2-v3", test_upgrade);
  g_test_add_func ("/examples/service-digest", test_service_digest);
  g_test_add_func ("/examples/man-page-digest", test_man_page_digest);
  g_test_add_func ("/examples/pinned-digests", test_pinned_digests);
  g_test_add_func ("/examples/edge-gateway", test_edge_gateway);

  return g_test_run ();
}
