/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-nats-kv.c: the few NATS key-value commands the end-to-end test
 * needs (Debian has no `nats` command-line client):
 *
 *   fleet-nats-kv URL create BUCKET
 *   fleet-nats-kv URL put BUCKET KEY FILE      (FILE's bytes; - for stdin)
 *   fleet-nats-kv URL delete BUCKET KEY
 *   fleet-nats-kv URL get BUCKET KEY           (the value on stdout)
 *
 * Exit status 0 on success, 1 with a one-line error on stderr.
 */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <nats/nats.h>
#include <stdio.h>

static int
fail (const char *what, natsStatus status)
{
  const char *text = nats_GetLastError (NULL);

  g_printerr ("fleet-nats-kv: %s: %s\n", what, text && *text ? text : natsStatus_GetText (status));
  return 1;
}

static gboolean
read_input (const char *path, char **contents, gsize *length)
{
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (path, "-") == 0)
    {
      g_autoptr(GInputStream) in = g_unix_input_stream_new (0, FALSE);
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

      if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error) < 0)
        return g_printerr ("fleet-nats-kv: stdin: %s\n", error->message), FALSE;
      *length = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out));
      *contents = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
      return TRUE;
    }
  if (!g_file_get_contents (path, contents, length, &error))
    return g_printerr ("fleet-nats-kv: %s\n", error->message), FALSE;
  return TRUE;
}

static int
run (jsCtx *js, int argc, char **argv)
{
  kvStore *kv = NULL;
  natsStatus status;
  int result = 0;

  if (g_str_equal (argv[2], "create") && argc == 4)
    {
      kvConfig config;

      kvConfig_Init (&config);
      config.Bucket = argv[3];
      config.History = 5;
      status = js_CreateKeyValue (&kv, js, &config);
      if (status != NATS_OK)
        return fail (argv[3], status);
      kvStore_Destroy (kv);
      return 0;
    }
  if (argc < 5 || (status = js_KeyValue (&kv, js, argv[3])) != NATS_OK)
    return argc < 5 ? (g_printerr ("fleet-nats-kv: bad arguments\n"), 2) : fail (argv[3], status);
  if (g_str_equal (argv[2], "put") && argc == 6)
    {
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!read_input (argv[5], &contents, &length))
        result = 1;
      else if ((status = kvStore_Put (NULL, kv, argv[4], contents, (int) length)) != NATS_OK)
        result = fail (argv[4], status);
    }
  else if (g_str_equal (argv[2], "delete") && argc == 5)
    {
      if ((status = kvStore_Delete (kv, argv[4])) != NATS_OK)
        result = fail (argv[4], status);
    }
  else if (g_str_equal (argv[2], "get") && argc == 5)
    {
      kvEntry *entry = NULL;

      if ((status = kvStore_Get (&entry, kv, argv[4])) != NATS_OK)
        result = fail (argv[4], status);
      else
        {
          fwrite (kvEntry_Value (entry), 1, (size_t) kvEntry_ValueLen (entry), stdout);
          kvEntry_Destroy (entry);
        }
    }
  else
    result = (g_printerr ("fleet-nats-kv: bad arguments\n"), 2);
  kvStore_Destroy (kv);
  return result;
}

int
main (int argc, char **argv)
{
  natsConnection *nc = NULL;
  jsCtx *js = NULL;
  natsStatus status;
  int result;

  if (argc < 4)
    {
      g_printerr ("usage: fleet-nats-kv URL create BUCKET | put BUCKET KEY FILE | "
                  "delete BUCKET KEY | get BUCKET KEY\n");
      return 2;
    }
  if ((status = natsConnection_ConnectTo (&nc, argv[1])) != NATS_OK)
    return fail (argv[1], status);
  if ((status = natsConnection_JetStream (&js, nc, NULL)) != NATS_OK)
    result = fail ("JetStream", status);
  else
    result = run (js, argc, argv);
  jsCtx_Destroy (js);
  natsConnection_Destroy (nc);
  nats_Close ();
  return result;
}
