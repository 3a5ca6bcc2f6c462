/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-service-fields.c: the service fields added after the contract's
 * first release (restart, devices, capabilities, network mode, resources,
 * user, tmpfs, labels, hostname, logging, depends_on): their valid forms and
 * what the parser makes of them, and their part in the service digest.
 * Their invalid forms are in test-document.c, with all the others.
 */
#include "config.h"

#include "fleet-document-parser-private.h"
#include "fleet-test-utils.h"

#define SVC(body)                                                                          \
  "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[" body "]}}}}"
#define WEB(extra) SVC ("{\"name\":\"web\",\"image\":\"img\"" extra "}")

static FleetServiceSpec *
web_of (FleetDocument *doc)
{
  FleetServiceSpec *web = fleet_document_lookup_service (doc, "hello", "web");

  g_assert_nonnull (web);
  return web;
}

/* The table and the member list the parser checks against agree. */
static void
test_field_table (void)
{
  for (guint i = 0; i < FLEET_N_SERVICE_FIELDS; i++)
    {
      g_assert_cmpstr (_fleet_service_fields[i].name, ==, _fleet_service_members[i]);
      g_assert_nonnull (_fleet_service_fields[i].parse);
    }
  g_assert_null (_fleet_service_members[FLEET_N_SERVICE_FIELDS]);
}

/* A service that writes none of the new fields gets today's behaviour. */
static void
test_defaults (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (WEB (""));
  FleetServiceSpec *web = web_of (doc);

  g_assert_cmpint (web->restart, ==, FLEET_SERVICE_RESTART_ALWAYS);
  g_assert_true (web->restart_is_default);
  g_assert_cmpuint (web->devices->len, ==, 0);
  g_assert_cmpuint (web->device_cgroup_rules->len, ==, 0);
  g_assert_false (web->privileged);
  g_assert_cmpuint (g_strv_length (web->cap_add), ==, 0);
  g_assert_cmpuint (g_strv_length (web->cap_drop), ==, 0);
  g_assert_cmpint (web->network_mode, ==, FLEET_NETWORK_MODE_BRIDGE);
  g_assert_cmpint (web->mem_limit, ==, 0);
  g_assert_cmpfloat (web->cpus, ==, 0);
  g_assert_cmpint (web->pids_limit, ==, 0);
  g_assert_null (web->user);
  g_assert_null (web->working_dir);
  g_assert_false (web->read_only);
  g_assert_cmpuint (web->tmpfs->len, ==, 0);
  g_assert_cmpuint (g_strv_length (web->labels), ==, 0);
  g_assert_null (web->hostname);
  g_assert_cmpint (web->log_driver, ==, FLEET_LOG_DRIVER_DEFAULT);
  g_assert_cmpint (web->log_max_size, ==, 0);
  g_assert_cmpuint (web->depends_on->len, ==, 0);
  g_assert_cmpstr (web->canonical, ==, "{\"image\":\"img\",\"name\":\"web\"}");
}

static void
test_restart (void)
{
  static const struct
  {
    const char *json;
    FleetServiceRestart policy;
    guint retries;
  } cases[] = {
    { "\"always\"", FLEET_SERVICE_RESTART_ALWAYS, 0 },
    { "\"no\"", FLEET_SERVICE_RESTART_NO, 0 },
    { "\"on-failure\"", FLEET_SERVICE_RESTART_ON_FAILURE, 0 },
    { "\"on-failure:5\"", FLEET_SERVICE_RESTART_ON_FAILURE, 5 },
    { "\"on-failure:10000\"", FLEET_SERVICE_RESTART_ON_FAILURE, 10000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (WEB (",\"restart\":%s"), cases[i].json);
      g_autoptr(FleetDocument) doc = fleet_test_document (json);

      g_assert_cmpint (web_of (doc)->restart, ==, cases[i].policy);
      g_assert_false (web_of (doc)->restart_is_default);
      g_assert_cmpuint (web_of (doc)->restart_max_retries, ==, cases[i].retries);
    }
  g_assert_cmpstr (fleet_service_restart_to_string (FLEET_SERVICE_RESTART_ON_FAILURE), ==,
                   "on-failure");
  g_assert_cmpstr (fleet_service_restart_to_string (FLEET_SERVICE_RESTART_NO), ==, "no");
}

static void
test_devices (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (WEB (
      ",\"devices\":[\"/dev/ttyUSB0\",\"/dev/gpiochip0:/dev/gpiochip0:rwm\","
      "\"/dev/null:/dev/n:r\"],"
      "\"device_cgroup_rules\":[\"c 1:3 mr\",\"a 7:* rmw\",\"b *:* w\"]"));
  FleetServiceSpec *web = web_of (doc);
  FleetDeviceMapping *device;
  FleetDeviceCgroupRule *rule;

  g_assert_cmpuint (web->devices->len, ==, 3);
  device = web->devices->pdata[0];
  g_assert_cmpstr (device->host_path, ==, "/dev/ttyUSB0");
  g_assert_cmpstr (device->container_path, ==, "/dev/ttyUSB0");
  g_assert_cmpstr (device->permissions, ==, "rwm");
  device = web->devices->pdata[2];
  g_assert_cmpstr (device->host_path, ==, "/dev/null");
  g_assert_cmpstr (device->container_path, ==, "/dev/n");
  g_assert_cmpstr (device->permissions, ==, "r");

  g_assert_cmpuint (web->device_cgroup_rules->len, ==, 3);
  rule = web->device_cgroup_rules->pdata[0];
  g_assert_cmpint (rule->type, ==, 'c');
  g_assert_cmpint (rule->major, ==, 1);
  g_assert_cmpint (rule->minor, ==, 3);
  g_assert_cmpstr (rule->access, ==, "mr");
  rule = web->device_cgroup_rules->pdata[1];
  g_assert_cmpint (rule->major, ==, 7);
  g_assert_cmpint (rule->minor, ==, -1);
  rule = web->device_cgroup_rules->pdata[2];
  g_assert_cmpint (rule->type, ==, 'b');
  g_assert_cmpint (rule->major, ==, -1);
}

/* Capabilities as compose and podman take them: any case, with or without
 * the prefix; "ALL" for every one. */
static void
test_capabilities (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      WEB (",\"privileged\":false,\"cap_add\":[\"NET_ADMIN\",\"cap_sys_time\",\"CAP_BPF\"],"
           "\"cap_drop\":[\"ALL\"]"));
  g_autoptr(FleetDocument) all = fleet_test_document (
      WEB (",\"privileged\":true,\"cap_add\":[\"all\"],\"cap_drop\":[\"MKNOD\"]"));
  FleetServiceSpec *web = web_of (doc);
  const char *const expected_add[] = { "CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_BPF", NULL };

  g_assert_cmpstrv (web->cap_add, expected_add);
  g_assert_cmpuint (g_strv_length (web->cap_drop), ==, 1);
  g_assert_cmpstr (web->cap_drop[0], ==, "ALL");
  g_assert_false (web->privileged);
  g_assert_true (web_of (all)->privileged);
  g_assert_cmpstr (web_of (all)->cap_add[0], ==, "ALL");
  g_assert_cmpstr (web_of (all)->cap_drop[0], ==, "CAP_MKNOD");
}

static void
test_network_mode (void)
{
  g_autoptr(FleetDocument) host = fleet_test_document (WEB (",\"network_mode\":\"host\""));
  g_autoptr(FleetDocument) none = fleet_test_document (WEB (",\"network_mode\":\"none\""));
  g_autoptr(FleetDocument) bridge
      = fleet_test_document (WEB (",\"network_mode\":\"bridge\",\"ports\":[\"80:80\"]"));

  g_assert_cmpint (web_of (host)->network_mode, ==, FLEET_NETWORK_MODE_HOST);
  g_assert_cmpint (web_of (none)->network_mode, ==, FLEET_NETWORK_MODE_NONE);
  g_assert_cmpint (web_of (bridge)->network_mode, ==, FLEET_NETWORK_MODE_BRIDGE);
}

static void
test_resources (void)
{
  static const struct
  {
    const char *mem_limit;
    gint64 bytes;
  } sizes[] = {
    { "6291456", 6291456 },     { "\"6m\"", 6 << 20 },        { "\"512M\"", 512 << 20 },
    { "\"512mb\"", 512 << 20 }, { "\"1g\"", 1 << 30 },        { "\"7000k\"", 7000 << 10 },
    { "\"6291456b\"", 6291456 }, { "\"6291456\"", 6291456 },
    { "\"2GB\"", G_GINT64_CONSTANT (2) << 30 },
  };
  static const struct
  {
    const char *cpus;
    double value;
  } cpus[] = {
    { "0.5", 0.5 }, { "2", 2 }, { "\"1.25\"", 1.25 }, { "0.01", 0.01 }, { "1024", 1024 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *json = g_strdup_printf (WEB (",\"mem_limit\":%s"), sizes[i].mem_limit);
      g_autoptr(FleetDocument) doc = fleet_test_document (json);

      g_assert_cmpint (web_of (doc)->mem_limit, ==, sizes[i].bytes);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (cpus); i++)
    {
      g_autofree char *json = g_strdup_printf (WEB (",\"cpus\":%s,\"pids_limit\":%d"),
                                               cpus[i].cpus, i == 0 ? -1 : (int) i * 100);
      g_autoptr(FleetDocument) doc = fleet_test_document (json);

      g_assert_cmpfloat_with_epsilon (web_of (doc)->cpus, cpus[i].value, 1e-9);
      g_assert_cmpint (web_of (doc)->pids_limit, ==, i == 0 ? -1 : (int) i * 100);
    }
}

static void
test_process (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      WEB (",\"user\":\"1000:dialout\",\"working_dir\":\"/srv/app\",\"read_only\":true,"
           "\"hostname\":\"gw-42.shop.example\","
           "\"tmpfs\":[\"/run\",\"/tmp:size=64m,mode=1777,noexec\","
           "\"/var/cache:uid=1000,gid=0\"]"));
  g_autoptr(FleetDocument) single
      = fleet_test_document (WEB (",\"tmpfs\":\"/run:ro\",\"user\":\"app\""));
  FleetServiceSpec *web = web_of (doc);
  FleetTmpfsMount *mount;
  const char *const options[] = { "size=64m", "mode=1777", "noexec", NULL };

  g_assert_cmpstr (web->user, ==, "1000:dialout");
  g_assert_cmpstr (web->working_dir, ==, "/srv/app");
  g_assert_true (web->read_only);
  g_assert_cmpstr (web->hostname, ==, "gw-42.shop.example");
  g_assert_cmpuint (web->tmpfs->len, ==, 3);
  mount = web->tmpfs->pdata[0];
  g_assert_cmpstr (mount->destination, ==, "/run");
  g_assert_cmpuint (g_strv_length (mount->options), ==, 0);
  mount = web->tmpfs->pdata[1];
  g_assert_cmpstr (mount->destination, ==, "/tmp");
  g_assert_cmpstrv (mount->options, options);

  g_assert_cmpstr (web_of (single)->user, ==, "app");
  g_assert_cmpuint (web_of (single)->tmpfs->len, ==, 1);
  mount = web_of (single)->tmpfs->pdata[0];
  g_assert_cmpstr (mount->options[0], ==, "ro");
}

/* Either form gives the same labels, sorted by key. */
static void
test_labels (void)
{
  g_autoptr(FleetDocument) object = fleet_test_document (
      WEB (",\"labels\":{\"com.example.shop\":\"42\",\"tier\":\"edge\",\"empty\":\"\"}"));
  g_autoptr(FleetDocument) list = fleet_test_document (
      WEB (",\"labels\":[\"tier=edge\",\"com.example.shop=42\",\"empty\"]"));
  g_autoptr(FleetDocument) near
      = fleet_test_document (WEB (",\"labels\":{\"fleetwood\":\"mac\"}"));
  const char *const expected[] = { "com.example.shop=42", "empty=", "tier=edge", NULL };

  g_assert_cmpstrv (web_of (object)->labels, expected);
  g_assert_cmpstrv (web_of (list)->labels, expected);
  /* only the fleet.* namespace is the agent's */
  g_assert_cmpstr (web_of (near)->labels[0], ==, "fleetwood=mac");
}

static void
test_logging (void)
{
  g_autoptr(FleetDocument) file = fleet_test_document (
      WEB (",\"logging\":{\"driver\":\"k8s-file\",\"options\":{\"max-size\":\"10m\"}}"));
  g_autoptr(FleetDocument) journal
      = fleet_test_document (WEB (",\"logging\":{\"driver\":\"journald\"}"));
  g_autoptr(FleetDocument) none = fleet_test_document (
      WEB (",\"logging\":{\"driver\":\"none\",\"options\":{}}"));
  g_autoptr(FleetDocument) bytes = fleet_test_document (
      WEB (",\"logging\":{\"options\":{\"max-size\":65536},\"driver\":\"k8s-file\"}"));

  g_assert_cmpint (web_of (file)->log_driver, ==, FLEET_LOG_DRIVER_K8S_FILE);
  g_assert_cmpint (web_of (file)->log_max_size, ==, 10 << 20);
  g_assert_cmpint (web_of (journal)->log_driver, ==, FLEET_LOG_DRIVER_JOURNALD);
  g_assert_cmpint (web_of (none)->log_driver, ==, FLEET_LOG_DRIVER_NONE);
  g_assert_cmpint (web_of (bytes)->log_max_size, ==, 65536);
}

static void
assert_dependency (FleetServiceSpec *spec, guint i, const char *service,
                   FleetDependencyCondition condition)
{
  FleetServiceDependency *dependency = spec->depends_on->pdata[i];

  g_assert_cmpstr (dependency->service, ==, service);
  g_assert_cmpint (dependency->condition, ==, condition);
}

/* Both forms, a diamond (not a cycle), and an init job that can complete. */
static void
test_depends_on (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      SVC ("{\"name\":\"web\",\"image\":\"i\",\"depends_on\":{\"migrate\":{\"condition\":"
           "\"service_completed_successfully\"},\"db\":{\"condition\":\"service_started\"}}},"
           "{\"name\":\"migrate\",\"image\":\"i\",\"restart\":\"no\",\"depends_on\":[\"db\"]},"
           "{\"name\":\"db\",\"image\":\"i\"},"
           "{\"name\":\"report\",\"image\":\"i\",\"depends_on\":[\"web\",\"migrate\"]},"
           "{\"name\":\"retry\",\"image\":\"i\",\"restart\":\"on-failure:3\"},"
           "{\"name\":\"after-retry\",\"image\":\"i\",\"depends_on\":{\"retry\":{\"condition\":"
           "\"service_completed_successfully\"}}}"));
  FleetServiceSpec *web = fleet_document_lookup_service (doc, "hello", "web");
  FleetServiceSpec *report = fleet_document_lookup_service (doc, "hello", "report");

  /* in document order, whatever the form */
  g_assert_cmpuint (web->depends_on->len, ==, 2);
  assert_dependency (web, 0, "migrate", FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY);
  assert_dependency (web, 1, "db", FLEET_DEPENDENCY_SERVICE_STARTED);
  g_assert_cmpuint (report->depends_on->len, ==, 2);
  assert_dependency (report, 1, "migrate", FLEET_DEPENDENCY_SERVICE_STARTED);
  g_assert_cmpstr (fleet_dependency_condition_to_string (
                       FLEET_DEPENDENCY_SERVICE_COMPLETED_SUCCESSFULLY), ==,
                   "service_completed_successfully");
}

/* A document that writes none of the new fields digests as it always did:
 * these are the digests of the released parser (see test-examples.c). */
static void
test_digest_without_new_fields (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      "{\"generation\":1,\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":"
      "[{\"name\":\"web\",\"image\":\"localhost/fleet-example:v1\",\"command\":[\"/bin/httpd\","
      "\"-f\",\"-p\",\"8080\"],\"ports\":[\"8080:8080\"]}]}}}}");

  g_assert_cmpstr (web_of (doc)->digest, ==,
                   "sha256:17a4d4d3aecdcab58c00738563d6648fa815ca45a792690863c4207fc921f894");
}

/* Each field, added or changed, changes the service's digest (and only
 * that service's); the other service of the deployment keeps its own. */
static const char *const field_values[][2] = {
  { "\"restart\":\"no\"", "\"restart\":\"on-failure:3\"" },
  { "\"devices\":[\"/dev/null\"]", "\"devices\":[\"/dev/zero\"]" },
  { "\"device_cgroup_rules\":[\"c 1:3 r\"]", "\"device_cgroup_rules\":[\"c 1:3 rw\"]" },
  { "\"privileged\":false", "\"privileged\":true" },
  { "\"cap_add\":[\"NET_ADMIN\"]", "\"cap_add\":[\"NET_RAW\"]" },
  { "\"cap_drop\":[\"ALL\"]", "\"cap_drop\":[\"MKNOD\"]" },
  { "\"network_mode\":\"host\"", "\"network_mode\":\"none\"" },
  { "\"mem_limit\":\"64m\"", "\"mem_limit\":\"128m\"" },
  { "\"cpus\":0.5", "\"cpus\":1.5" },
  { "\"pids_limit\":100", "\"pids_limit\":-1" },
  { "\"user\":\"1000\"", "\"user\":\"1001\"" },
  { "\"working_dir\":\"/a\"", "\"working_dir\":\"/b\"" },
  { "\"read_only\":true", "\"read_only\":false" },
  { "\"tmpfs\":[\"/run\"]", "\"tmpfs\":[\"/run:size=1m\"]" },
  { "\"labels\":{\"a\":\"1\"}", "\"labels\":{\"a\":\"2\"}" },
  { "\"hostname\":\"gw-1\"", "\"hostname\":\"gw-2\"" },
  { "\"logging\":{\"driver\":\"none\"}", "\"logging\":{\"driver\":\"journald\"}" },
  { "\"depends_on\":[\"db\"]", "\"depends_on\":{\"db\":{\"condition\":\"service_started\"}}" },
  { "\"healthcheck\":{\"tcp\":{\"port\":80}}", "\"healthcheck\":{\"test\":[\"NONE\"]}" },
  { "\"update_config\":{\"order\":\"start-first\"}", "\"update_config\":{}" },
};

static FleetDocument *
field_document (const char *field)
{
  g_autofree char *json = g_strdup_printf (
      SVC ("{\"name\":\"web\",\"image\":\"img\"%s%s},{\"name\":\"db\",\"image\":\"img\"}"),
      field ? "," : "", field ? field : "");

  return fleet_test_document (json);
}

static void
test_digest_covers_every_field (void)
{
  g_autoptr(FleetDocument) base = field_document (NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_hash_table_add (seen, g_strdup (web_of (base)->digest));
  for (gsize i = 0; i < G_N_ELEMENTS (field_values); i++)
    for (gsize v = 0; v < 2; v++)
      {
        g_autoptr(FleetDocument) doc = field_document (field_values[i][v]);

        g_test_message ("%s", field_values[i][v]);
        /* a digest never seen: differs from the base and from every other */
        g_assert_true (g_hash_table_add (seen, g_strdup (web_of (doc)->digest)));
        g_assert_cmpstr (fleet_document_lookup_service (doc, "hello", "db")->digest, ==,
                         fleet_document_lookup_service (base, "hello", "db")->digest);
      }
  /* every field of the table but the contract's is exercised above */
  g_assert_cmpuint (G_N_ELEMENTS (field_values), ==, FLEET_N_SERVICE_FIELDS - 6);
}

/* Member order and whitespace, inside the new fields too, change nothing. */
static void
test_digest_ignores_formatting (void)
{
  g_autoptr(FleetDocument) a = fleet_test_document (SVC (
      "{\"name\":\"web\",\"image\":\"img\",\"logging\":{\"driver\":\"k8s-file\",\"options\":"
      "{\"max-size\":\"1m\"}},\"labels\":{\"b\":\"2\",\"a\":\"1\"},\"depends_on\":{\"db\":"
      "{\"condition\":\"service_started\"},\"job\":{\"condition\":"
      "\"service_completed_successfully\"}},\"cpus\":0.5},"
      "{\"name\":\"db\",\"image\":\"img\"},"
      "{\"name\":\"job\",\"image\":\"img\",\"restart\":\"no\"}"));
  g_autoptr(FleetDocument) b = fleet_test_document (SVC (
      "{ \"cpus\" : 0.50 ,\n \"depends_on\" : { \"job\" : { \"condition\" :"
      " \"service_completed_successfully\" } , \"db\" : { \"condition\" : \"service_started\" } },"
      "\n \"labels\": {\"a\": \"1\", \"b\": \"2\"}, \"image\": \"img\", \"logging\": {\"options\":"
      " {\"max-size\": \"1m\"}, \"driver\": \"k8s-file\"}, \"name\": \"web\"},\n"
      "{\"image\":\"img\",\"name\":\"db\"},"
      "{\"restart\":\"no\",\"name\":\"job\",\"image\":\"img\"}"));

  g_assert_cmpstr (web_of (a)->digest, ==, web_of (b)->digest);
  g_assert_cmpstr (web_of (a)->canonical, ==, web_of (b)->canonical);
  g_assert_cmpstr (a->digest, ==, b->digest);
}

/* Why a digest changed: the members that differ, then the lifecycle. */
static void
test_changed_fields (void)
{
  g_autoptr(FleetDocument) a = fleet_test_document (
      WEB (",\"mem_limit\":\"64m\",\"env\":{\"A\":\"1\"},\"user\":\"1\""));
  g_autoptr(FleetDocument) b = fleet_test_document (
      "{\"deployments\":{\"hello\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"
      "\"web\",\"image\":\"img2\",\"env\":{\"A\":\"1\"},\"mem_limit\":\"128m\",\"cpus\":1}],"
      "\"lifecycle\":{\"grace_period_secs\":3}}}}}");
  g_auto(GStrv) changed = fleet_service_spec_changed_fields (web_of (a), web_of (b));
  g_auto(GStrv) none = fleet_service_spec_changed_fields (web_of (a), web_of (a));
  const char *const expected[] = { "cpus", "image", "mem_limit", "user", "lifecycle", NULL };

  g_assert_cmpstrv (changed, expected);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

  g_test_add_func ("/service-fields/table", test_field_table);
  g_test_add_func ("/service-fields/defaults", test_defaults);
  g_test_add_func ("/service-fields/restart", test_restart);
  g_test_add_func ("/service-fields/devices", test_devices);
  g_test_add_func ("/service-fields/capabilities", test_capabilities);
  g_test_add_func ("/service-fields/network-mode", test_network_mode);
  g_test_add_func ("/service-fields/resources", test_resources);
  g_test_add_func ("/service-fields/process", test_process);
  g_test_add_func ("/service-fields/labels", test_labels);
  g_test_add_func ("/service-fields/logging", test_logging);
  g_test_add_func ("/service-fields/depends-on", test_depends_on);
  g_test_add_func ("/service-fields/digest-without-new-fields",
                   test_digest_without_new_fields);
  g_test_add_func ("/service-fields/digest-covers-every-field",
                   test_digest_covers_every_field);
  g_test_add_func ("/service-fields/digest-ignores-formatting", test_digest_ignores_formatting);
  g_test_add_func ("/service-fields/changed-fields", test_changed_fields);

  return g_test_run ();
}
