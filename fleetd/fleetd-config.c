/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleetd-config.c: fleetd's settings.  Every option of contract §4 (and the
 * extensions for the HTTP source) is described once, in the table below,
 * and from it come the command-line options, the config file keys (named
 * like the long options, in the [fleetd] group), validation and --help.  The
 * command line is parsed first, only to learn which options it gave; then
 * each option takes its value from the config file, if there, and then from
 * the command line, if there, so the command line always wins.  Every
 * error names where the bad value came from: `--poll-interval` or
 * `/etc/fleet/fleetd.conf: poll-interval`.
 */
#include "config.h"

#include "fleetd-config.h"
#include <fleet.h>
#include "fleet-util-private.h"

/* require-signature's words are FleetSignaturePolicy's values in order. */
G_STATIC_ASSERT (FLEET_SIGNATURE_POLICY_AUTO == 0 && FLEET_SIGNATURE_POLICY_REQUIRED == 1
                 && FLEET_SIGNATURE_POLICY_OPTIONAL == 2);

typedef enum
{
  KIND_TEXT,    /* non-empty, no control characters */
  KIND_URL,     /* an http:// or https:// URL */
  KIND_SECONDS, /* 1..max */
  KIND_BYTES,   /* 1..max */
  KIND_RUNTIME,
  KIND_BUS,
  KIND_FLAG,
  KIND_SIGNATURE_POLICY, /* auto|yes|no, in FleetSignaturePolicy's order */
} OptionKind;

typedef struct
{
  const char *name;
  OptionKind kind;
  gsize offset;
  guint64 max;
  gboolean command_line_only;
  const char *arg_description;
  const char *description;
} OptionSpec;

#define OFFSET(member) G_STRUCT_OFFSET (FleetdConfig, member)
#define ONE_DAY (24 * 60 * 60)
#define ONE_HOUR (60 * 60)

static const OptionSpec option_specs[] = {
  { "config", KIND_TEXT, OFFSET (config_file), 0, TRUE, "FILE",
    "Read settings from FILE (default " FLEETD_DEFAULT_CONFIG_FILE ")" },
  { "source", KIND_TEXT, OFFSET (source), 0, FALSE, "URL",
    "Fetch the desired state from URL (http://, https://, file:// or a path; "
    "{device} is replaced by the device id), or watch it in a NATS key-value bucket "
    "(nats://HOST:PORT[,HOST:PORT]/BUCKET)" },
  { "device-id", KIND_TEXT, OFFSET (device_id), 0, FALSE, "ID",
    "The device id (default: the contents of " FLEETD_DEFAULT_MACHINE_ID_FILE ")" },
  { "state-dir", KIND_TEXT, OFFSET (state_dir), 0, FALSE, "DIR",
    "Persist state in DIR (default " FLEETD_DEFAULT_STATE_DIR ")" },
  { "runtime", KIND_RUNTIME, OFFSET (runtime), 0, FALSE, "podman|fake",
    "The container runtime (default podman; fake keeps containers in memory, for testing)" },
  { "podman-socket", KIND_TEXT, OFFSET (podman_socket), 0, FALSE, "PATH",
    "Podman's API socket (default " FLEETD_DEFAULT_PODMAN_SOCKET ")" },
  { "bus", KIND_BUS, OFFSET (bus), 0, FALSE, "system|session|none",
    "Where to publish the D-Bus API (default system)" },
  { "poll-interval", KIND_SECONDS, OFFSET (poll_interval), ONE_DAY, FALSE, "SECONDS",
    "Fetch the source every SECONDS (default 30)" },
  { "tick-interval", KIND_SECONDS, OFFSET (tick_interval), ONE_DAY, FALSE, "SECONDS",
    "Check that the containers run every SECONDS (default 30)" },
  { "status-url", KIND_URL, OFFSET (status_url), 0, FALSE, "URL",
    "PUT the status document to URL after each change ({device} is replaced by the device id)" },
  { "once", KIND_FLAG, OFFSET (once), 0, FALSE, NULL,
    "Fetch, reconcile until converged or failed, and exit: 0 when Running, 1 otherwise" },
  { "version", KIND_FLAG, OFFSET (version), 0, TRUE, NULL, "Print the version and exit" },
  { "ca-file", KIND_TEXT, OFFSET (ca_file), 0, FALSE, "FILE",
    "Verify HTTPS servers (source, status URL) with the CA certificates in FILE instead of "
    "the system's" },
  { "client-cert", KIND_TEXT, OFFSET (client_cert), 0, FALSE, "FILE",
    "Authenticate to HTTPS servers with the PEM client certificate in FILE" },
  { "client-key", KIND_TEXT, OFFSET (client_key), 0, FALSE, "FILE",
    "The PEM private key of --client-cert" },
  { "bearer-token-file", KIND_TEXT, OFFSET (bearer_token_file), 0, FALSE, "FILE",
    "Send the contents of FILE as a bearer token to the source and status URL (re-read each "
    "time)" },
  { "max-document-bytes", KIND_BYTES, OFFSET (max_document_bytes), G_MAXINT32, FALSE, "BYTES",
    "Reject desired-state documents larger than BYTES (default 1048576)" },
  { "connect-timeout", KIND_SECONDS, OFFSET (connect_timeout), ONE_HOUR, FALSE, "SECONDS",
    "Give up connecting to the source after SECONDS (default 10)" },
  { "fetch-timeout", KIND_SECONDS, OFFSET (fetch_timeout), ONE_HOUR, FALSE, "SECONDS",
    "Give up a whole fetch after SECONDS (default 60)" },
  { "require-signature", KIND_SIGNATURE_POLICY, OFFSET (require_signature), 0, FALSE,
    "auto|yes|no",
    "Refuse unsigned documents (default auto: when there are trusted keys)" },
  { "trusted-keys-dir", KIND_TEXT, OFFSET (trusted_keys_dir), 0, FALSE, "DIR",
    "Trust the signify public keys DIR/*.pub (default " FLEETD_DEFAULT_TRUSTED_KEYS_DIR ")" },
  { "registry-auth-file", KIND_TEXT, OFFSET (registry_auth_file), 0, FALSE, "FILE",
    "Pull images with the registry credentials in FILE, in podman's auth.json format "
    "(default: podman's own)" },
  { "nats-user", KIND_TEXT, OFFSET (nats_user), 0, FALSE, "USER",
    "Authenticate to the NATS servers as USER (with --nats-password-file)" },
  { "nats-password-file", KIND_TEXT, OFFSET (nats_password_file), 0, FALSE, "FILE",
    "The password of --nats-user is the contents of FILE" },
  { "nats-creds-file", KIND_TEXT, OFFSET (nats_creds_file), 0, FALSE, "FILE",
    "Authenticate to the NATS servers with the user JWT and nkey seed of the .creds FILE" },
  { "nats-nkey", KIND_TEXT, OFFSET (nats_nkey), 0, FALSE, "PUBLIC-KEY",
    "Authenticate to the NATS servers with this user nkey (with --nats-nkey-seed-file)" },
  { "nats-nkey-seed-file", KIND_TEXT, OFFSET (nats_nkey_seed_file), 0, FALSE, "FILE",
    "The seed of --nats-nkey is in FILE" },
  { "status-bucket", KIND_TEXT, OFFSET (status_bucket), 0, FALSE, "BUCKET",
    "With a NATS source, put the status document under the device id in BUCKET "
    "(default " FLEET_DEFAULT_NATS_STATUS_BUCKET ")" },
};

static const char help_description[] =
  "Settings can also be given in the config file, in the [" FLEETD_CONFIG_GROUP "] group,\n"
  "with keys named like the long options (source=, poll-interval=, ...); the command\n"
  "line wins.  A missing default config file is fine.\n"
  "\n"
  "SIGTERM or SIGINT stops fleetd after the step in flight, leaving the containers\n"
  "running.\n"
  "\n"
  "Exit status: 0 on success (with --once: the device is Running), 1 on failure,\n"
  "2 for a bad command line or config file.";

FleetdConfig *
fleetd_config_new (void)
{
  FleetdConfig *config = g_new0 (FleetdConfig, 1);

  config->state_dir = g_strdup (FLEETD_DEFAULT_STATE_DIR);
  config->podman_socket = g_strdup (FLEETD_DEFAULT_PODMAN_SOCKET);
  config->trusted_keys_dir = g_strdup (FLEETD_DEFAULT_TRUSTED_KEYS_DIR);
  config->status_bucket = g_strdup (FLEET_DEFAULT_NATS_STATUS_BUCKET);
  config->runtime = FLEETD_RUNTIME_PODMAN;
  config->bus = FLEETD_BUS_SYSTEM;
  config->poll_interval = 30;
  config->tick_interval = 30;
  return config;
}

void
fleetd_config_free (FleetdConfig *config)
{
  for (guint i = 0; i < G_N_ELEMENTS (option_specs); i++)
    {
      const OptionSpec *spec = &option_specs[i];

      if (spec->kind == KIND_TEXT || spec->kind == KIND_URL)
        g_free (G_STRUCT_MEMBER (char *, config, spec->offset));
    }
  g_free (config);
}

const char *
fleetd_bus_kind_to_string (FleetdBusKind bus)
{
  switch (bus)
    {
    case FLEETD_BUS_SYSTEM:
      return "system";
    case FLEETD_BUS_SESSION:
      return "session";
    case FLEETD_BUS_NONE:
    default:
      return "none";
    }
}

static gboolean
is_clean_text (const char *value)
{
  if (*value == '\0')
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      return FALSE;
  return TRUE;
}

static gboolean
parse_number (const OptionSpec *spec, const char *value, const char *where, guint64 *out,
              GError **error)
{
  const char *unit = spec->kind == KIND_SECONDS ? "a number of seconds" : "a number of bytes";

  if (!g_ascii_string_to_unsigned (value, 10, 1, spec->max, out, NULL))
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "%s: expected %s from 1 to %" G_GUINT64_FORMAT ", got \"%s\"", where, unit,
                        spec->max, value);
  return TRUE;
}

static gboolean
parse_choice (const char *value, const char *where, const char *const *choices, int *out,
              GError **error)
{
  g_autofree char *expected = NULL;

  for (int i = 0; choices[i] != NULL; i++)
    if (g_str_equal (value, choices[i]))
      {
        *out = i;
        return TRUE;
      }
  expected = g_strjoinv ("|", (char **) choices);
  return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "%s: expected %s, got \"%s\"", where,
                      expected, value);
}

static gboolean
parse_flag (const char *value, const char *where, gboolean *out, GError **error)
{
  static const char *const choices[] = { "false", "true", "no", "yes", "0", "1", NULL };
  int choice;

  if (!parse_choice (value, where, choices, &choice, error))
    return FALSE;
  *out = choice % 2 == 1;
  return TRUE;
}

static gboolean
check_url (const char *value, const char *where, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  if (scheme == NULL
      || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "%s: expected an http:// or https:// URL, got \"%s\"", where, value);
  return TRUE;
}

/* Check @value for @spec and store it in @config. */
static gboolean
apply_option (FleetdConfig *config, const OptionSpec *spec, const char *value, const char *where,
              GError **error)
{
  static const char *const runtimes[] = { "podman", "fake", NULL };
  static const char *const buses[] = { "system", "session", "none", NULL };
  static const char *const policies[] = { "auto", "yes", "no", NULL };
  gpointer field = G_STRUCT_MEMBER_P (config, spec->offset);
  guint64 number;

  switch (spec->kind)
    {
    case KIND_URL:
      if (!check_url (value, where, error))
        return FALSE;
      G_GNUC_FALLTHROUGH;
    case KIND_TEXT:
      if (!is_clean_text (value))
        return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                            "%s: expected a non-empty value without control characters", where);
      g_free (*(char **) field);
      *(char **) field = g_strdup (value);
      return TRUE;
    case KIND_SECONDS:
      if (!parse_number (spec, value, where, &number, error))
        return FALSE;
      *(guint *) field = (guint) number;
      return TRUE;
    case KIND_BYTES:
      return parse_number (spec, value, where, (guint64 *) field, error);
    case KIND_RUNTIME:
      return parse_choice (value, where, runtimes, (int *) field, error);
    case KIND_BUS:
      config->bus_explicit = TRUE;
      return parse_choice (value, where, buses, (int *) field, error);
    case KIND_SIGNATURE_POLICY:
      return parse_choice (value, where, policies, (int *) field, error);
    case KIND_FLAG:
    default:
      return parse_flag (value, where, (gboolean *) field, error);
    }
}

static const OptionSpec *
lookup_spec (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (option_specs); i++)
    if (g_str_equal (option_specs[i].name, name))
      return &option_specs[i];
  return NULL;
}

/* GOptionArgFunc: remember the raw value; checking waits until the config
 * file is merged, so that errors come out the same from both. */
static gboolean
remember_option (const char *option_name, const char *value, gpointer data, GError **error)
{
  GHashTable *given = data;
  const char *name = g_str_has_prefix (option_name, "--") ? option_name + 2 : option_name;

  g_hash_table_replace (given, g_strdup (name), g_strdup (value ? value : "true"));
  return TRUE;
}

static GOptionContext *
make_option_context (GHashTable *given)
{
  GOptionContext *context = g_option_context_new (NULL);
  GOptionGroup *group = g_option_group_new ("fleetd", "fleetd options", "Show fleetd options",
                                            given, NULL);
  g_autofree GOptionEntry *entries = g_new0 (GOptionEntry, G_N_ELEMENTS (option_specs) + 1);

  for (guint i = 0; i < G_N_ELEMENTS (option_specs); i++)
    {
      const OptionSpec *spec = &option_specs[i];

      entries[i].long_name = spec->name;
      entries[i].flags = spec->kind == KIND_FLAG ? G_OPTION_FLAG_NO_ARG : G_OPTION_FLAG_NONE;
      entries[i].arg = G_OPTION_ARG_CALLBACK;
      entries[i].arg_data = (gpointer) remember_option;
      entries[i].description = spec->description;
      entries[i].arg_description = spec->arg_description;
    }
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, group);
  g_option_context_set_summary (context, "Keep this device's containers as its desired-state "
                                         "document says.");
  g_option_context_set_description (context, help_description);
  return context;
}

/* The config file: the one given, or the default one if it exists. */
static GKeyFile *
load_key_file (FleetdConfig *config, gboolean explicit, GError **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  if (!g_key_file_load_from_file (key_file, config->config_file, G_KEY_FILE_NONE, &local_error))
    {
      if (!explicit && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&key_file);
      return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "%s: %s", config->config_file,
                               local_error->message);
    }
  return g_steal_pointer (&key_file);
}

static gboolean
check_known_keys (GKeyFile *key_file, const char *path, GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (key_file, FLEETD_CONFIG_GROUP, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const OptionSpec *spec = lookup_spec (keys[i]);

      if (spec == NULL || spec->command_line_only)
        return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "%s: [%s]: unknown key \"%s\"",
                            path, FLEETD_CONFIG_GROUP, keys[i]);
    }
  return TRUE;
}

/* Every value in the file is checked, even one the command line overrides:
 * a broken config file is reported now, not when the override is dropped. */
static gboolean
merge_options (FleetdConfig *config, GHashTable *given, GKeyFile *key_file, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (option_specs); i++)
    {
      const OptionSpec *spec = &option_specs[i];
      const char *value = g_hash_table_lookup (given, spec->name);
      g_autofree char *from_file = NULL;

      if (!spec->command_line_only)
        from_file = g_key_file_get_string (key_file, FLEETD_CONFIG_GROUP, spec->name, NULL);
      if (from_file != NULL)
        {
          g_autofree char *where = g_strdup_printf ("%s: %s", config->config_file, spec->name);

          if (!apply_option (config, spec, from_file, where, error))
            return FALSE;
        }
      if (value != NULL)
        {
          g_autofree char *where = g_strconcat ("--", spec->name, NULL);

          if (!apply_option (config, spec, value, where, error))
            return FALSE;
        }
    }
  return TRUE;
}

/**
 * fleetd_config_parse:
 * @default_config_file: the config file read when --config is not given
 *
 * Parse the command line, read the config file and merge them into
 * @config.  Prints --help and exits, as GOptionContext does.
 *
 * Returns: FALSE with a one-line message naming the option, or the file
 *   and key, on a bad value
 */
gboolean
fleetd_config_parse (FleetdConfig *config, int *argc, char ***argv,
                     const char *default_config_file, GError **error)
{
  g_autoptr(GHashTable) given = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GOptionContext) context = make_option_context (given);
  g_autoptr(GKeyFile) key_file = NULL;
  const char *config_file;

  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1)
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "unexpected argument \"%s\"",
                        (*argv)[1]);
  if (g_hash_table_contains (given, "version"))
    {
      config->version = TRUE;
      return TRUE;
    }

  config_file = g_hash_table_lookup (given, "config");
  g_free (config->config_file);
  config->config_file = g_strdup (config_file ? config_file : default_config_file);
  key_file = load_key_file (config, config_file != NULL, error);
  if (key_file == NULL || !check_known_keys (key_file, config->config_file, error))
    return FALSE;
  return merge_options (config, given, key_file, error);
}

/**
 * fleetd_config_resolve_device_id:
 * @machine_id_file: where the default device id comes from
 *
 * Without a configured device id, use the machine id.
 */
gboolean
fleetd_config_resolve_device_id (FleetdConfig *config, const char *machine_id_file,
                                 GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;

  if (config->device_id != NULL)
    return TRUE;
  if (!g_file_get_contents (machine_id_file, &contents, NULL, &local_error))
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "no device id: %s (set --device-id or device-id=)", local_error->message);
  g_strstrip (contents);
  if (!is_clean_text (contents))
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "no device id: %s is empty or not text (set --device-id or device-id=)",
                        machine_id_file);
  config->device_id = g_steal_pointer (&contents);
  return TRUE;
}

/* What fleetd cannot run without. */
gboolean
fleetd_config_check_complete (FleetdConfig *config, GError **error)
{
  if (config->source == NULL)
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "no source: set --source URL, or source= in %s", config->config_file);
  if (config->client_key != NULL && config->client_cert == NULL)
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "client-key is set but client-cert is not");
  if ((config->nats_nkey == NULL) != (config->nats_nkey_seed_file == NULL))
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "nats-nkey and nats-nkey-seed-file go together");
  return TRUE;
}
