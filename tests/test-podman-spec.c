/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-podman-spec.c: every service field reaches the container a real
 * podman creates (a private `podman system service`, see
 * fleet-podman-harness.c): what podman's inspect reports, and what the
 * container's own processes see (device nodes, interfaces, a read-only
 * root, their capabilities, user and host name, the log size limit in
 * force, podman restarting a crash by itself, the services of a deployment
 * resolving each other's names).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "fleet-podman-harness.h"
#include "fleet-podman-private.h"
#include "fleet-test-runtime.h"
#include "fleet-test-utils.h"
#include "fleet-util-private.h"

#define DOC                                                                                \
  "{\"deployments\":{\"spec\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"      \
  "\"%s\",\"image\":\"localhost/fleet-test:%s\"%s}]}}}}"

typedef struct
{
  FleetPodmanHarness *h;
  FleetPodmanRuntime *runtime;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->h = fleet_podman_harness_require ();
  if (f->h != NULL)
    f->runtime = fleet_podman_runtime_new (fleet_podman_harness_get_socket (f->h));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->runtime);
  if (f->h != NULL)
    fleet_podman_harness_reset (f->h);
}

/* The one use of the runtime's API here: create and start @spec's
 * container, as the reconciler has it done. */
static char *
start_container (Fixture *f, FleetServiceSpec *spec, GError **error)
{
  return fleet_test_service_start (FLEET_CONTAINER_RUNTIME (f->runtime), spec, error);
}

/* Service @name from localhost/fleet-test:@image with @fields (members to
 * add to the service object, each with a leading comma), running. */
static char *
run_service (Fixture *f, const char *name, const char *image, const char *fields)
{
  g_autofree char *json = g_strdup_printf (DOC, name, image, fields);
  g_autoptr(FleetDocument) doc = fleet_test_document (json);
  g_autoptr(GError) error = NULL;
  char *id = start_container (f, fleet_document_lookup_service (doc, "spec", name), &error);

  g_assert_no_error (error);
  g_assert_true (fleet_is_container_id (id));
  return id;
}

static JsonObject *
inspect (Fixture *f, const char *id, JsonNode **out_node)
{
  g_autofree char *path = g_strdup_printf ("/containers/%s/json", id);

  *out_node = fleet_podman_harness_get_json (f->h, path);
  return json_node_get_object (*out_node);
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_object_member (object, name);
}

/* What @script prints inside the container (run by podman exec, as the
 * container's user, in its working directory); it must exit 0. */
static char *
exec_in (Fixture *f, const char *id, const char *script)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  fleet_podman_harness_podman (f->h, &out, &error, "exec", id, "/bin/sh", "-c", script, NULL);
  g_assert_no_error (error);
  return out;
}

static gint64
host_config_int (JsonObject *container, const char *member)
{
  return json_object_get_int_member (member_object (container, "HostConfig"), member);
}

/* The members the new fields add to the create request, exactly: here
 * without podman, so that it runs everywhere. */
static void
test_unit_create_json (void)
{
  g_autoptr(FleetDocument) doc = fleet_test_document (
      "{\"deployments\":{\"spec\":{\"type\":\"PodmanV0\",\"data\":{\"services\":[{\"name\":"
      "\"gw\",\"image\":\"img\",\"restart\":\"on-failure:3\",\"devices\":[\"/dev/ttyUSB0\","
      "\"/dev/null:/dev/n:r\"],\"device_cgroup_rules\":[\"c 42:* rw\",\"a *:* m\"],"
      "\"privileged\":true,\"cap_add\":[\"net_admin\"],\"cap_drop\":[\"ALL\"],"
      "\"network_mode\":\"host\",\"mem_limit\":\"64m\",\"cpus\":0.25,\"pids_limit\":-1,"
      "\"user\":\"1000:dialout\",\"working_dir\":\"/srv\",\"read_only\":true,"
      "\"tmpfs\":[\"/run:size=1m\"],\"labels\":{\"shop\":\"42\"},\"hostname\":\"gw-1\","
      "\"logging\":{\"driver\":\"k8s-file\",\"options\":{\"max-size\":\"1m\"}}}]}}}}");
  FleetServiceSpec *spec = fleet_document_lookup_service (doc, "spec", "gw");
  g_autoptr(GHashTable) labels = _fleet_service_labels (spec);
  g_autoptr(JsonNode) node = _fleet_podman_spec_to_create_json ("spec_gw", spec, labels);
  g_autofree char *json = NULL;
  g_autofree char *expected = g_strdup_printf (
      "{\"name\":\"spec_gw\",\"image\":\"img\",\"env\":{},"
      "\"labels\":{\"fleet.deployment\":\"spec\",\"fleet.service\":\"gw\","
      "\"fleet.spec-digest\":\"%s\",\"shop\":\"42\"},\"portmappings\":[],"
      "\"mounts\":[{\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"destination\":\"/run\","
      "\"options\":[\"size=1m\"]}],\"volumes\":[],"
      "\"restart_policy\":\"on-failure\",\"restart_tries\":3,"
      "\"devices\":[{\"path\":\"/dev/ttyUSB0:/dev/ttyUSB0:rwm\"},"
      "{\"path\":\"/dev/null:/dev/n:r\"}],"
      "\"device_cgroup_rule\":[{\"allow\":true,\"type\":\"c\",\"major\":42,\"access\":\"rw\"},"
      "{\"allow\":true,\"type\":\"a\",\"access\":\"m\"}],"
      "\"privileged\":true,\"cap_add\":[\"CAP_NET_ADMIN\"],\"cap_drop\":[\"ALL\"],"
      "\"user\":\"1000:dialout\",\"read_only_filesystem\":true,\"netns\":{\"nsmode\":\"host\"},"
      "\"resource_limits\":{\"memory\":{\"limit\":67108864},\"cpu\":{\"quota\":25000,"
      "\"period\":100000},\"pids\":{\"limit\":-1}},\"work_dir\":\"/srv\",\"hostname\":\"gw-1\","
      "\"log_configuration\":{\"driver\":\"k8s-file\",\"size\":1048576},"
      "\"stop_signal\":15,\"stop_timeout\":30}",
      spec->digest);

  json = json_to_string (node, FALSE);
  g_assert_cmpstr (json, ==, expected);
}

static void
test_resources (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *seen = NULL;
  JsonObject *container;

  if (f->h == NULL)
    return;
  id = run_service (f, "limits", "v1", ",\"mem_limit\":\"64m\",\"cpus\":0.5,\"pids_limit\":64");
  container = inspect (f, id, &node);
  g_assert_cmpint (host_config_int (container, "Memory"), ==, 64 << 20);
  g_assert_cmpint (host_config_int (container, "CpuQuota"), ==, 50000);
  g_assert_cmpint (host_config_int (container, "CpuPeriod"), ==, 100000);
  g_assert_cmpint (host_config_int (container, "PidsLimit"), ==, 64);
  /* and in the container's cgroup, v1 or v2 */
  seen = exec_in (f, id, "cd /sys/fs/cgroup; "
                         "cat memory/memory.limit_in_bytes 2>/dev/null || cat memory.max; "
                         "cat cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 cpu.max; "
                         "cat pids/pids.max 2>/dev/null || cat pids.max");
  g_assert_cmpstr (seen, ==, "67108864\n50000\n64\n");
}

/* mknod and open a node of major 42 (no driver): the cgroup refuses it
 * unless a rule allows it, then the kernel finds no device. */
#define OPEN_MAJOR_42 "mknod /tmp/d c 42 7 && cat /tmp/d 2>&1; true"

static void
test_devices (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *nodes = NULL;
  g_autofree char *written = NULL;
  g_autofree char *allowed = NULL;
  g_autofree char *refused = NULL;

  if (f->h == NULL)
    return;
  id = run_service (f, "devices", "v1",
                    ",\"devices\":[\"/dev/null:/dev/fleet-null:rw\",\"/dev/zero\"],"
                    "\"device_cgroup_rules\":[\"c 42:* rwm\"]");
  plain = run_service (f, "plain", "v1", "");
  nodes = exec_in (f, id, "ls -l /dev/fleet-null /dev/zero | cut -c1");
  g_assert_cmpstr (nodes, ==, "c\nc\n");
  written = exec_in (f, id, "echo fleet > /dev/fleet-null && echo written");
  g_assert_cmpstr (written, ==, "written\n");
  allowed = exec_in (f, id, OPEN_MAJOR_42);
  refused = exec_in (f, plain, OPEN_MAJOR_42);
  g_assert_nonnull (strstr (allowed, "No such device or address"));
  g_assert_nonnull (strstr (refused, "Operation not permitted"));
}

/* The network namespace of the container's process. */
static char *
container_netns (Fixture *f, const char *id)
{
  g_autofree char *out = exec_in (f, id, "readlink /proc/1/ns/net");

  return g_strdup (g_strstrip (out));
}

/* Every interface of the host but the veth pairs of containers (which come
 * and go with other tests') is seen in the container. */
static void
assert_sees_host_interfaces (Fixture *f, const char *id)
{
  g_autoptr(GDir) dir = g_dir_open ("/sys/class/net", 0, NULL);
  g_autofree char *out = exec_in (f, id, "ls -1 /sys/class/net");
  g_auto(GStrv) seen = g_strsplit (g_strstrip (out), "\n", -1);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_prefix (name, "veth"))
      {
        g_test_message ("host interface %s", name);
        g_assert_true (g_strv_contains ((const char *const *) seen, name));
        n++;
      }
  g_assert_cmpuint (n, >, 1);
}

static void
test_network_mode (Fixture *f, gconstpointer data)
{
  g_autofree char *host = NULL;
  g_autofree char *none = NULL;
  g_autofree char *bridge = NULL;
  g_autofree char *host_netns = g_file_read_link ("/proc/self/ns/net", NULL);
  g_autofree char *netns = NULL;
  g_autofree char *own_netns = NULL;
  g_autofree char *alone = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (f->h == NULL)
    return;
  host = run_service (f, "host", "v1", ",\"network_mode\":\"host\",\"hostname\":\"gw-1\"");
  none = run_service (f, "none", "v1", ",\"network_mode\":\"none\"");
  bridge = run_service (f, "bridge", "v1", ",\"network_mode\":\"bridge\"");
  g_assert_nonnull (host_netns);
  netns = container_netns (f, host);
  g_assert_cmpstr (netns, ==, host_netns);
  assert_sees_host_interfaces (f, host);
  g_assert_cmpstr (json_object_get_string_member (
                       member_object (inspect (f, host, &node), "HostConfig"), "NetworkMode"),
                   ==, "host");
  alone = exec_in (f, none, "ls /sys/class/net");
  g_assert_cmpstr (alone, ==, "lo\n");
  /* the bridge gives the container a namespace of its own, on its
   * deployment's network only (eth0) */
  own_netns = container_netns (f, bridge);
  g_assert_cmpstr (own_netns, !=, host_netns);
  g_free (alone);
  alone = exec_in (f, bridge, "ls /sys/class/net");
  g_assert_cmpstr (alone, ==, "eth0\nlo\n");
}

static gboolean
on_network (JsonObject *container, const char *network)
{
  JsonObject *networks = member_object (member_object (container, "NetworkSettings"), "Networks");

  return json_object_has_member (networks, network);
}

/* The services of a deployment find each other by name, on the
 * deployment's network; one in host mode stays out of it. */
static void
test_name_resolution (Fixture *f, gconstpointer data)
{
  g_autofree char *db = NULL;
  g_autofree char *web = NULL;
  g_autofree char *gw = NULL;
  g_autofree char *found = NULL;
  g_autofree char *reached = NULL;
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;

  if (f->h == NULL)
    return;
  db = run_service (f, "db", "v1", "");
  web = run_service (f, "web", "v1", "");
  gw = run_service (f, "gw", "v1", ",\"network_mode\":\"host\"");
  g_assert_true (on_network (inspect (f, web, &a), "fleet-spec"));
  g_assert_false (json_object_has_member (member_object (inspect (f, gw, &b), "NetworkSettings"),
                                          "fleet-spec"));
  /* aardvark-dns learns of a container a moment after it started */
  found = exec_in (f, web, "for i in $(seq 20); do timeout 10 nslookup db >/dev/null && break; "
                           "sleep 0.5; done; timeout 10 nslookup db | sed -n 's/^Address: //p'");
  g_assert_cmpstr (found, !=, "");
  reached = exec_in (f, db, "for i in $(seq 20); do timeout 10 ping -c1 -W5 web >/dev/null "
                            "&& echo reached && break; sleep 0.5; done; true");
  g_assert_cmpstr (reached, ==, "reached\n");
}

static void
test_read_only (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *root = NULL;
  g_autofree char *tmpfs = NULL;
  g_autofree char *mounts = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (f->h == NULL)
    return;
  id = run_service (f, "ro", "v1",
                    ",\"read_only\":true,\"tmpfs\":[\"/run:size=1m,mode=1777\",\"/scratch\"]");
  root = exec_in (f, id, "touch /x 2>&1; true");
  g_assert_nonnull (strstr (root, "Read-only file system"));
  tmpfs = exec_in (f, id, "touch /run/x /scratch/y && echo ok");
  g_assert_cmpstr (tmpfs, ==, "ok\n");
  mounts = exec_in (f, id, "grep -E ' /(run|scratch) ' /proc/mounts | cut -d' ' -f1-3 | sort");
  g_assert_cmpstr (mounts, ==, "tmpfs /run tmpfs\ntmpfs /scratch tmpfs\n");
  g_assert_true (json_object_get_boolean_member (
      member_object (inspect (f, id, &node), "HostConfig"), "ReadonlyRootfs"));
}

/* CapEff of the container's process, as a number. */
static guint64
effective_capabilities (Fixture *f, const char *id)
{
  g_autofree char *hex = exec_in (f, id, "sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status");

  return g_ascii_strtoull (hex, NULL, 16);
}

static void
test_capabilities (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *privileged = NULL;
  g_autoptr(JsonNode) node = NULL;
  const guint64 chown = 1 << 0, net_admin = 1 << 12, sys_admin = 1 << 21;

  if (f->h == NULL)
    return;
  id = run_service (f, "caps", "v1",
                    ",\"cap_drop\":[\"ALL\"],\"cap_add\":[\"NET_ADMIN\",\"chown\"]");
  privileged = run_service (f, "privileged", "v1", ",\"privileged\":true");
  g_assert_cmphex (effective_capabilities (f, id), ==, chown | net_admin);
  g_assert_cmphex (effective_capabilities (f, privileged) & sys_admin, ==, sys_admin);
  g_assert_true (json_object_get_boolean_member (
      member_object (inspect (f, privileged, &node), "HostConfig"), "Privileged"));
}

static void
test_process (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *seen = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *labels;

  if (f->h == NULL)
    return;
  id = run_service (f, "process", "v1",
                    ",\"user\":\"1000:1001\",\"working_dir\":\"/tmp\",\"hostname\":\"gw-42\","
                    "\"labels\":[\"com.example.shop=42\",\"tier=edge\"]");
  /* the service's process itself (PID 1), and what podman exec runs */
  seen = exec_in (f, id, "sed -n 's/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/1/status; "
                         "sed -n 's/^Gid:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/1/status; "
                         "readlink /proc/1/cwd; id -u; pwd; hostname");
  g_assert_cmpstr (seen, ==, "1000\n1001\n/tmp\n1000\n/tmp\ngw-42\n");
  labels = member_object (member_object (inspect (f, id, &node), "Config"), "Labels");
  g_assert_cmpstr (json_object_get_string_member (labels, "com.example.shop"), ==, "42");
  g_assert_cmpstr (json_object_get_string_member (labels, "tier"), ==, "edge");
  g_assert_cmpstr (json_object_get_string_member (labels, FLEET_LABEL_SERVICE), ==, "process");
}

/* A container that writes 1 MiB of output, then says so in /tmp/done. */
#define CHATTY                                                                              \
  ",\"command\":[\"/bin/sh\",\"-c\",\"yes 0123456789abcdef0123456789abcdef | head -c 1048576; " \
  "touch /tmp/done; while :; do sleep 1 & wait; done\"]"

static void
wait_for_file (Fixture *f, const char *id, const char *path)
{
  g_autofree char *script = g_strdup_printf ("test -e %s && echo yes || echo no", path);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *seen = exec_in (f, id, script);

      if (g_str_equal (seen, "yes\n"))
        return;
      fleet_test_sleep_ms (100);
    }
  g_error ("%s did not appear in %s", path, id);
}

static void
test_logging (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *quiet = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) quiet_node = NULL;
  JsonObject *log_config;
  GStatBuf st;

  if (f->h == NULL)
    return;
  id = run_service (f, "chatty", "v1",
                    CHATTY ",\"logging\":{\"driver\":\"k8s-file\","
                           "\"options\":{\"max-size\":\"64k\"}}");
  quiet = run_service (f, "quiet", "v1", ",\"logging\":{\"driver\":\"none\"}");
  wait_for_file (f, id, "/tmp/done");
  log_config = member_object (member_object (inspect (f, id, &node), "HostConfig"), "LogConfig");
  g_assert_cmpstr (json_object_get_string_member (log_config, "Type"), ==, "k8s-file");
  /* 1 MiB written, and the log never grew past its 64 KiB */
  g_assert_cmpint (g_stat (json_object_get_string_member (log_config, "Path"), &st), ==, 0);
  g_test_message ("log file: %" G_GINT64_FORMAT " bytes", (gint64) st.st_size);
  g_assert_cmpint (st.st_size, >, 0);
  g_assert_cmpint (st.st_size, <=, 64 * 1024);
  log_config = member_object (member_object (inspect (f, quiet, &quiet_node), "HostConfig"),
                              "LogConfig");
  g_assert_cmpstr (json_object_get_string_member (log_config, "Type"), ==, "none");
}

static JsonObject *
restart_policy (JsonObject *container)
{
  return member_object (member_object (container, "HostConfig"), "RestartPolicy");
}

/* Wait until podman reports @status and @restarts restarts for @id. */
static void
wait_for_restarts (Fixture *f, const char *id, const char *status, gint64 restarts)
{
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *container = inspect (f, id, &node);
      const char *now = json_object_get_string_member (member_object (container, "State"),
                                                       "Status");

      if (g_str_equal (now, status) && json_object_get_int_member (container, "RestartCount")
                                           == restarts)
        return;
      fleet_test_sleep_ms (100);
    }
  g_error ("%s did not reach %s after %" G_GINT64_FORMAT " restarts", id, status, restarts);
}

static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autofree char *limited = NULL;
  g_autofree char *always = NULL;
  g_autofree char *job = NULL;
  g_autofree char *unset = NULL;
  g_autoptr(JsonNode) a = NULL, a2 = NULL, b = NULL, c = NULL, d = NULL, e = NULL;
  gint64 pid;

  if (f->h == NULL)
    return;
  limited = run_service (f, "limited", "exits", ",\"restart\":\"on-failure:2\"");
  always = run_service (f, "always", "v1", ",\"restart\":\"always\"");
  job = run_service (f, "job", "v1", ",\"restart\":\"no\"");
  unset = run_service (f, "unset", "v1", "");
  g_assert_cmpstr (json_object_get_string_member (restart_policy (inspect (f, limited, &a)),
                                                  "Name"), ==, "on-failure");
  g_assert_cmpint (json_object_get_int_member (restart_policy (inspect (f, limited, &a2)),
                                               "MaximumRetryCount"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (restart_policy (inspect (f, job, &b)), "Name"),
                   ==, "no");
  /* no restart field: the default, always, is podman's too */
  g_assert_cmpstr (json_object_get_string_member (restart_policy (inspect (f, unset, &c)),
                                                  "Name"), ==, "always");
  /* podman itself restarts the failing job twice, then leaves it */
  wait_for_restarts (f, limited, "exited", 2);
  /* and a crash of an "always" service, with no agent around */
  pid = json_object_get_int_member (member_object (inspect (f, always, &d), "State"), "Pid");
  g_assert_cmpint (pid, >, 1);
  g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  wait_for_restarts (f, always, "running", 1);
  g_assert_cmpint (json_object_get_int_member (member_object (inspect (f, always, &e), "State"),
                                               "Pid"), !=, pid);
}

int
main (int argc, char **argv)
{
  int ret;

  fleet_test_init (&argc, &argv);

  g_test_add_func ("/podman-spec/unit/create-json", test_unit_create_json);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/podman-spec/resources", test_resources);
  ADD ("/podman-spec/devices", test_devices);
  ADD ("/podman-spec/network-mode", test_network_mode);
  ADD ("/podman-spec/name-resolution", test_name_resolution);
  ADD ("/podman-spec/read-only", test_read_only);
  ADD ("/podman-spec/capabilities", test_capabilities);
  ADD ("/podman-spec/process", test_process);
  ADD ("/podman-spec/logging", test_logging);
  ADD ("/podman-spec/restart", test_restart);

  ret = g_test_run ();
  fleet_podman_harness_shutdown ();
  return ret;
}
