/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-http-credentials.c: the TLS trust, client certificate and bearer
 * token fleetd uses towards its server.  The CA file and the certificate
 * are loaded once (a bad one is a configuration error, said at start); the
 * token file is read at every request so that a rotated token is picked up
 * without a restart.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fleet-http-credentials-private.h"
#include "fleet-util-private.h"

#define MAX_TOKEN_FILE_BYTES (64 * 1024)

struct _FleetHttpCredentials
{
  gatomicrefcount ref;
  GTlsDatabase *database;
  GTlsCertificate *client_certificate;
  char *bearer_token_file;
};

G_DEFINE_BOXED_TYPE (FleetHttpCredentials, fleet_http_credentials, fleet_http_credentials_ref,
                     fleet_http_credentials_unref)

/**
 * fleet_http_credentials_new:
 * @ca_file: (nullable): PEM CA bundle to verify servers with, instead of the system's
 * @client_cert_file: (nullable): PEM client certificate (mutual TLS)
 * @client_key_file: (nullable): PEM key of @client_cert_file
 * @bearer_token_file: (nullable): a file whose contents are sent as
 *   `Authorization: Bearer ...`, read at every request
 *
 * Returns: (transfer full): the credentials, or %NULL when the CA file or
 *   the certificate cannot be loaded
 */
FleetHttpCredentials *
fleet_http_credentials_new (const char *ca_file, const char *client_cert_file,
                            const char *client_key_file, const char *bearer_token_file,
                            GError **error)
{
  g_autoptr(FleetHttpCredentials) credentials = g_new0 (FleetHttpCredentials, 1);

  g_atomic_ref_count_init (&credentials->ref);
  if (ca_file)
    {
      credentials->database = g_tls_file_database_new (ca_file, error);
      if (credentials->database == NULL)
        return fleet_prefix_error (error, "CA file"), NULL;
    }
  if ((client_cert_file == NULL) != (client_key_file == NULL))
    return fleet_null_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                             "a client certificate needs both a certificate and a key file");
  if (client_cert_file)
    {
      credentials->client_certificate =
        g_tls_certificate_new_from_files (client_cert_file, client_key_file, error);
      if (credentials->client_certificate == NULL)
        return fleet_prefix_error (error, "client certificate"), NULL;
    }
  credentials->bearer_token_file = g_strdup (bearer_token_file);
  return g_steal_pointer (&credentials);
}

FleetHttpCredentials *
fleet_http_credentials_ref (FleetHttpCredentials *credentials)
{
  g_return_val_if_fail (credentials != NULL, NULL);

  g_atomic_ref_count_inc (&credentials->ref);
  return credentials;
}

void
fleet_http_credentials_unref (FleetHttpCredentials *credentials)
{
  g_return_if_fail (credentials != NULL);

  if (!g_atomic_ref_count_dec (&credentials->ref))
    return;
  g_clear_object (&credentials->database);
  g_clear_object (&credentials->client_certificate);
  g_free (credentials->bearer_token_file);
  g_free (credentials);
}

/* Verify servers against the CA file, when one is given, instead of the
 * system's CAs. */
void
_fleet_http_credentials_setup_session (FleetHttpCredentials *credentials, SoupSession *session)
{
  if (credentials->database)
    g_object_set (session, "tls-database", credentials->database, NULL);
}

/* Attach the client certificate and the bearer token to @message. */
gboolean
_fleet_http_credentials_authorize (FleetHttpCredentials *credentials, SoupMessage *message,
                                   GError **error)
{
  g_autofree char *token = NULL;
  g_autofree char *header = NULL;
  GStatBuf st;

  if (credentials->client_certificate)
    soup_message_set_tls_client_certificate (message, credentials->client_certificate);
  if (credentials->bearer_token_file == NULL)
    return TRUE;
  /* A few bytes from local storage, read on the main loop: only from a
   * regular file of token size, never from a FIFO or a device. */
  if (g_stat (credentials->bearer_token_file, &st) != 0)
    {
      int errsv = errno;

      return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT, "%s: %s",
                          credentials->bearer_token_file, g_strerror (errsv));
    }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_TOKEN_FILE_BYTES)
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "%s: not a token file (not a regular file of at most %d bytes)",
                        credentials->bearer_token_file, MAX_TOKEN_FILE_BYTES);
  if (!g_file_get_contents (credentials->bearer_token_file, &token, NULL, error))
    return FALSE;
  g_strstrip (token);
  if (*token == '\0' || strpbrk (token, "\r\n") != NULL)
    return fleet_throw (error, FLEET_ERROR_INVALID_ARGUMENT,
                        "%s: not a bearer token (empty, or more than one line)",
                        credentials->bearer_token_file);
  header = g_strconcat ("Bearer ", token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                header);
  return TRUE;
}
