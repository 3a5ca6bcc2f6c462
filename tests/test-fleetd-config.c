/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fleetd-config.c: fleetd's settings: defaults, the config file, the
 * command line winning over it, and one-line errors that name the option,
 * or the file and key, a bad value came from.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "fleet-test-utils.h"
#include "fleetd-config.h"

typedef struct
{
  char *dir;
  char *conf;
  char *missing;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = fleet_test_make_tmpdir ();
  f->conf = g_build_filename (f->dir, "fleetd.conf", NULL);
  f->missing = g_build_filename (f->dir, "missing.conf", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  fleet_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->conf);
  g_free (f->missing);
}

static void
write_conf (Fixture *f, const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (f->conf, contents, -1, &error);
  g_assert_no_error (error);
}

/* Parse a NULL-terminated argument list (without argv[0]). */
static gboolean
parse (FleetdConfig *config, const char *default_conf, GError **error, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char **argv = NULL;
  char **argv_for_parse;
  int argc;
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "fleetd");
  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  argc = (int) args->len - 1;
  argv = (char **) g_ptr_array_steal (args, NULL);
  argv_for_parse = argv;
  return fleetd_config_parse (config, &argc, &argv_for_parse, default_conf, error);
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  /* A missing default config file is fine. */
  g_assert_true (parse (config, f->missing, &error, NULL));
  g_assert_no_error (error);
  g_assert_cmpstr (config->config_file, ==, f->missing);
  g_assert_null (config->source);
  g_assert_cmpstr (config->state_dir, ==, FLEETD_DEFAULT_STATE_DIR);
  g_assert_cmpstr (config->podman_socket, ==, "/run/podman/podman.sock");
  g_assert_cmpint (config->runtime, ==, FLEETD_RUNTIME_PODMAN);
  g_assert_cmpint (config->bus, ==, FLEETD_BUS_SYSTEM);
  g_assert_false (config->bus_explicit);
  g_assert_cmpuint (config->poll_interval, ==, 30);
  g_assert_cmpuint (config->tick_interval, ==, 30);
  g_assert_null (config->status_url);
  g_assert_false (config->once);
  g_assert_false (config->version);
}

static void
test_file_values (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  write_conf (f, "# fleetd settings\n"
                 "[fleetd]\n"
                 "source=https://fleet.example.com/devices/{device}.json\n"
                 "device-id=edge-042\n"
                 "state-dir=/srv/fleet\n"
                 "runtime=fake\n"
                 "podman-socket=/run/user/0/podman.sock\n"
                 "bus=session\n"
                 "poll-interval=10\n"
                 "tick-interval=5\n"
                 "status-url=http://127.0.0.1:9/status\n"
                 "once=true\n"
                 "ca-file=/etc/fleet/ca.pem\n"
                 "client-cert=/etc/fleet/cert.pem\n"
                 "client-key=/etc/fleet/key.pem\n"
                 "bearer-token-file=/etc/fleet/token\n"
                 "max-document-bytes=65536\n"
                 "connect-timeout=3\n"
                 "fetch-timeout=20\n"
                 "[other]\n"
                 "ignored=yes\n");
  g_assert_true (parse (config, f->conf, &error, NULL));
  g_assert_no_error (error);
  g_assert_cmpstr (config->source, ==, "https://fleet.example.com/devices/{device}.json");
  g_assert_cmpstr (config->device_id, ==, "edge-042");
  g_assert_cmpstr (config->state_dir, ==, "/srv/fleet");
  g_assert_cmpint (config->runtime, ==, FLEETD_RUNTIME_FAKE);
  g_assert_cmpstr (config->podman_socket, ==, "/run/user/0/podman.sock");
  g_assert_cmpint (config->bus, ==, FLEETD_BUS_SESSION);
  g_assert_true (config->bus_explicit);
  g_assert_cmpuint (config->poll_interval, ==, 10);
  g_assert_cmpuint (config->tick_interval, ==, 5);
  g_assert_cmpstr (config->status_url, ==, "http://127.0.0.1:9/status");
  g_assert_true (config->once);
  g_assert_cmpstr (config->ca_file, ==, "/etc/fleet/ca.pem");
  g_assert_cmpstr (config->client_cert, ==, "/etc/fleet/cert.pem");
  g_assert_cmpstr (config->client_key, ==, "/etc/fleet/key.pem");
  g_assert_cmpstr (config->bearer_token_file, ==, "/etc/fleet/token");
  g_assert_cmpuint (config->max_document_bytes, ==, 65536);
  g_assert_cmpuint (config->connect_timeout, ==, 3);
  g_assert_cmpuint (config->fetch_timeout, ==, 20);
}

static void
test_command_line_wins (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  write_conf (f, "[fleetd]\nsource=file:///from/file.json\npoll-interval=10\n"
                 "tick-interval=7\nbus=session\n");
  g_assert_true (parse (config, NULL, &error, "--config", f->conf, "--poll-interval", "5",
                        "--bus=none", "--source", "/from/command/line.json", NULL));
  g_assert_no_error (error);
  g_assert_cmpstr (config->config_file, ==, f->conf);
  g_assert_cmpstr (config->source, ==, "/from/command/line.json");
  g_assert_cmpuint (config->poll_interval, ==, 5);
  g_assert_cmpuint (config->tick_interval, ==, 7); /* not on the command line */
  g_assert_cmpint (config->bus, ==, FLEETD_BUS_NONE);
}

/* A bad value on the command line wins too, and is not hidden by a good
 * one in the file; the error names the option. */
#define SECONDS_MSG(what, got) \
  what ": expected a number of seconds from 1 to 86400, got \"" got "\""
#define URL_MSG(what, got) what ": expected an http:// or https:// URL, got \"" got "\""

static void
test_bad_command_line_value (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *option;
    const char *value;
    const char *message;
  } cases[] = {
    { "--poll-interval", "0", SECONDS_MSG ("--poll-interval", "0") },
    { "--tick-interval", "soon", SECONDS_MSG ("--tick-interval", "soon") },
    { "--runtime", "docker", "--runtime: expected podman|fake, got \"docker\"" },
    { "--bus", "user", "--bus: expected system|session|none, got \"user\"" },
    { "--status-url", "ftp://x/status", URL_MSG ("--status-url", "ftp://x/status") },
    { "--max-document-bytes", "-1",
      "--max-document-bytes: expected a number of bytes from 1 to 2147483647, got \"-1\"" },
    { "--source", "", "--source: expected a non-empty value without control characters" },
  };

  write_conf (f, "[fleetd]\npoll-interval=10\ntick-interval=10\nruntime=fake\n");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FleetdConfig) config = fleetd_config_new ();
      g_autoptr(GError) error = NULL;

      g_assert_false (parse (config, f->conf, &error, cases[i].option, cases[i].value, NULL));
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
test_bad_file_value (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *line;
    const char *message; /* after "FILE: " */
  } cases[] = {
    { "poll-interval=-5", SECONDS_MSG ("poll-interval", "-5") },
    { "tick-interval=30s", SECONDS_MSG ("tick-interval", "30s") },
    { "connect-timeout=7200",
      "connect-timeout: expected a number of seconds from 1 to 3600, got \"7200\"" },
    { "runtime=", "runtime: expected podman|fake, got \"\"" },
    { "once=maybe", "once: expected false|true|no|yes|0|1, got \"maybe\"" },
    { "status-url=not a url", URL_MSG ("status-url", "not a url") },
    { "pol-interval=10", "[fleetd]: unknown key \"pol-interval\"" },
    { "version=true", "[fleetd]: unknown key \"version\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FleetdConfig) config = fleetd_config_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = g_strdup_printf ("[fleetd]\nsource=/x.json\n%s\n",
                                                   cases[i].line);
      g_autofree char *expected = g_strdup_printf ("%s: %s", f->conf, cases[i].message);

      write_conf (f, contents);
      g_assert_false (parse (config, NULL, &error, "--config", f->conf, NULL));
      g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, expected);
    }
}

/* A bad value in the file is an error even when the command line
 * overrides it: the file is broken, and would be used without the option. */
static void
test_bad_file_value_overridden (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  write_conf (f, "[fleetd]\npoll-interval=never\n");
  g_assert_false (parse (config, f->conf, &error, "--poll-interval", "60", NULL));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  expected = g_strdup_printf ("%s: poll-interval: expected a number of seconds from 1 to 86400, "
                              "got \"never\"", f->conf);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_config_file_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(FleetdConfig) config2 = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  /* An explicitly given file must exist. */
  g_assert_false (parse (config, NULL, &error, "--config", f->missing, NULL));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, f->missing));
  g_assert_nonnull (strstr (error->message, "No such file"));
  g_clear_error (&error);

  /* A file that is not a key file names the file. */
  write_conf (f, "source = /x.json\n");
  g_assert_false (parse (config2, f->conf, &error, NULL));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, f->conf));
}

static void
test_command_line_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(FleetdConfig) config2 = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (parse (config, f->missing, &error, "--no-such-option", NULL));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION);
  g_clear_error (&error);

  g_assert_false (parse (config2, f->missing, &error, "stray", NULL));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "unexpected argument \"stray\"");
}

static void
test_version (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;

  /* --version needs no config file, even a broken one. */
  write_conf (f, "[fleetd]\npoll-interval=x\n");
  g_assert_true (parse (config, f->conf, &error, "--version", NULL));
  g_assert_no_error (error);
  g_assert_true (config->version);
}

static void
test_device_id (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(FleetdConfig) explicit = fleetd_config_new ();
  g_autoptr(FleetdConfig) missing = fleetd_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *machine_id = g_build_filename (f->dir, "machine-id", NULL);

  g_file_set_contents (machine_id, "  0123456789abcdef0123456789abcdef\n", -1, &error);
  g_assert_no_error (error);

  g_assert_true (parse (config, f->missing, &error, NULL));
  g_assert_true (fleetd_config_resolve_device_id (config, machine_id, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->device_id, ==, "0123456789abcdef0123456789abcdef");

  g_assert_true (parse (explicit, f->missing, &error, "--device-id", "edge-042", NULL));
  g_assert_true (fleetd_config_resolve_device_id (explicit, machine_id, &error));
  g_assert_cmpstr (explicit->device_id, ==, "edge-042");

  g_assert_true (parse (missing, f->missing, &error, NULL));
  g_assert_false (fleetd_config_resolve_device_id (missing, f->missing, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "--device-id"));
  g_clear_error (&error);

  g_file_set_contents (machine_id, "\n", -1, &error);
  g_assert_no_error (error);
  g_assert_false (fleetd_config_resolve_device_id (missing, machine_id, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
}

static void
test_source_required (Fixture *f, gconstpointer data)
{
  g_autoptr(FleetdConfig) config = fleetd_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (parse (config, f->missing, &error, NULL));
  g_assert_false (fleetd_config_check_complete (config, &error));
  g_assert_error (error, FLEET_ERROR, FLEET_ERROR_INVALID_ARGUMENT);
  expected = g_strdup_printf ("no source: set --source URL, or source= in %s", f->missing);
  g_assert_cmpstr (error->message, ==, expected);
}

int
main (int argc, char **argv)
{
  fleet_test_init (&argc, &argv);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/fleetd-config/defaults", test_defaults);
  ADD ("/fleetd-config/file-values", test_file_values);
  ADD ("/fleetd-config/command-line-wins", test_command_line_wins);
  ADD ("/fleetd-config/bad-command-line-value", test_bad_command_line_value);
  ADD ("/fleetd-config/bad-file-value", test_bad_file_value);
  ADD ("/fleetd-config/bad-file-value-overridden", test_bad_file_value_overridden);
  ADD ("/fleetd-config/config-file-errors", test_config_file_errors);
  ADD ("/fleetd-config/command-line-errors", test_command_line_errors);
  ADD ("/fleetd-config/version", test_version);
  ADD ("/fleetd-config/device-id", test_device_id);
  ADD ("/fleetd-config/source-required", test_source_required);
#undef ADD

  return g_test_run ();
}
