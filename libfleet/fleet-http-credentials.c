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

#include "fleet-http-credentials.h"
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
 * @error: return location for a #GError, or %NULL
 *
 * Returns: (transfer full): the credentials, or %NULL when the CA file or
 *   the certificate cannot be loaded
 *
 * Since: 0.2
 */
FleetHttpCredentials *
fleet_http_credentials_new (const char *ca_file, const char *client_cert_file,
                            const char *client_key_file, const char *bearer_token_file,
                            GError **error)
{
  g_autoptr(FleetHttpCredentials) credentials = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  credentials = g_new0 (FleetHttpCredentials, 1);
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

/**
 * fleet_http_credentials_ref:
 * @credentials: the credentials
 *
 * Take a reference to @credentials.
 *
 * Returns: (transfer full): @credentials
 *
 * Since: 0.2
 */
FleetHttpCredentials *
fleet_http_credentials_ref (FleetHttpCredentials *credentials)
{
  g_return_val_if_fail (credentials != NULL, NULL);

  g_atomic_ref_count_inc (&credentials->ref);
  return credentials;
}

/**
 * fleet_http_credentials_unref:
 * @credentials: the credentials
 *
 * Drop a reference to @credentials; the last one frees them.
 *
 * Since: 0.2
 */
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

/**
 * fleet_http_credentials_get_tls_database:
 * @credentials: the credentials
 *
 * The CA file's certificates, to verify servers with instead of the
 * system's (a #SoupSession's #SoupSession:tls-database).
 *
 * Returns: (transfer none) (nullable): the database, or %NULL to verify
 *   servers against the system's CAs
 *
 * Since: 0.2
 */
GTlsDatabase *
fleet_http_credentials_get_tls_database (FleetHttpCredentials *credentials)
{
  g_return_val_if_fail (credentials != NULL, NULL);

  return credentials->database;
}

/**
 * fleet_http_credentials_get_client_certificate:
 * @credentials: the credentials
 *
 * The certificate (and its key) to present to servers that ask for one.
 *
 * Returns: (transfer none) (nullable): the client certificate, or %NULL
 *
 * Since: 0.2
 */
GTlsCertificate *
fleet_http_credentials_get_client_certificate (FleetHttpCredentials *credentials)
{
  g_return_val_if_fail (credentials != NULL, NULL);

  return credentials->client_certificate;
}

/**
 * fleet_http_credentials_get_authorization:
 * @credentials: the credentials
 * @out_value: (out) (transfer full) (optional) (nullable): the value of
 *   the `Authorization` header to send, `Bearer TOKEN`, or %NULL when there
 *   is no token file
 * @error: return location for a #GError
 *
 * Read the bearer token file, as it is now (a rotated token is picked up
 * without a restart).  A few bytes from local storage: only a regular file
 * of token size is read, never a FIFO or a device.
 *
 * Returns: %TRUE on success, %FALSE when the token file cannot be read or
 *   holds no token
 *
 * Since: 0.2
 */
gboolean
fleet_http_credentials_get_authorization (FleetHttpCredentials *credentials, char **out_value,
                                          GError **error)
{
  g_autofree char *token = NULL;
  GStatBuf st;

  g_return_val_if_fail (credentials != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_value)
    *out_value = NULL;
  if (credentials->bearer_token_file == NULL)
    return TRUE;
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
  if (out_value)
    *out_value = g_strconcat ("Bearer ", token, NULL);
  return TRUE;
}
