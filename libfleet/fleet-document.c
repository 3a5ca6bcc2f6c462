/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-document.c: the document value object.  Documents are built by the
 * parser (fleet-document-parser.c), which validates them completely first,
 * so a FleetDocument is always a valid one.
 */
#include "config.h"

#include "fleet-document-private.h"

G_DEFINE_BOXED_TYPE (FleetDocument, fleet_document, fleet_document_ref, fleet_document_unref)

/**
 * fleet_limits_init_default:
 * @limits: the limits to set to their defaults
 *
 * Set @limits to the defaults: %FLEET_DEFAULT_MAX_DOCUMENT_BYTES,
 * %FLEET_DEFAULT_MAX_DEPLOYMENTS, %FLEET_DEFAULT_MAX_SERVICES and
 * %FLEET_DEFAULT_MAX_STRING_BYTES.
 *
 * Since: 0.2
 */
void
fleet_limits_init_default (FleetLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->max_document_bytes = FLEET_DEFAULT_MAX_DOCUMENT_BYTES;
  limits->max_deployments = FLEET_DEFAULT_MAX_DEPLOYMENTS;
  limits->max_services = FLEET_DEFAULT_MAX_SERVICES;
  limits->max_string_bytes = FLEET_DEFAULT_MAX_STRING_BYTES;
}

FleetDocument *
_fleet_document_new (void)
{
  FleetDocument *document = g_new0 (FleetDocument, 1);

  g_atomic_ref_count_init (&document->ref);
  document->generation = -1;
  document->deployments =
    g_ptr_array_new_with_free_func ((GDestroyNotify) fleet_deployment_spec_unref);
  return document;
}

/**
 * fleet_document_new_empty:
 *
 * Returns: (transfer full): the document `{"deployments":{}}`: nothing is
 *   desired.  What an agent starts from before it has applied anything.
 *
 * Since: 0.2
 */
FleetDocument *
fleet_document_new_empty (void)
{
  static const char empty[] = "{\"deployments\":{}}";

  return fleet_document_new_from_data (empty, -1, NULL, NULL);
}

/**
 * fleet_document_ref:
 * @document: the document
 *
 * Take a reference to @document.
 *
 * Returns: (transfer full): @document
 *
 * Since: 0.2
 */
FleetDocument *
fleet_document_ref (FleetDocument *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  g_atomic_ref_count_inc (&document->ref);
  return document;
}

/**
 * fleet_document_unref:
 * @document: the document
 *
 * Drop a reference to @document; the last one frees it.
 *
 * Since: 0.2
 */
void
fleet_document_unref (FleetDocument *document)
{
  g_return_if_fail (document != NULL);

  if (!g_atomic_ref_count_dec (&document->ref))
    return;
  g_ptr_array_unref (document->deployments);
  g_clear_pointer (&document->canonical, g_bytes_unref);
  g_free (document->digest);
  g_clear_pointer (&document->issued_at, g_date_time_unref);
  g_clear_pointer (&document->expires, g_date_time_unref);
  g_free (document);
}

/**
 * fleet_document_lookup_deployment:
 * @document: the document
 * @name: the deployment's name
 *
 * Returns: (transfer none) (nullable): the deployment called @name
 *
 * Since: 0.2
 */
FleetDeploymentSpec *
fleet_document_lookup_deployment (FleetDocument *document, const char *name)
{
  g_return_val_if_fail (document != NULL, NULL);

  for (guint i = 0; i < document->deployments->len; i++)
    {
      FleetDeploymentSpec *deployment = document->deployments->pdata[i];

      if (g_str_equal (deployment->name, name))
        return deployment;
    }
  return NULL;
}

/**
 * fleet_document_lookup_service:
 * @document: the document
 * @deployment: the deployment's name
 * @service: the service's name
 *
 * Returns: (transfer none) (nullable): the service @service of deployment
 *   @deployment
 *
 * Since: 0.2
 */
FleetServiceSpec *
fleet_document_lookup_service (FleetDocument *document, const char *deployment,
                               const char *service)
{
  FleetDeploymentSpec *d;

  g_return_val_if_fail (document != NULL, NULL);

  d = fleet_document_lookup_deployment (document, deployment);
  return d ? fleet_deployment_spec_lookup_service (d, service) : NULL;
}

/**
 * fleet_document_equal:
 * @a: a document
 * @b: another document
 *
 * Returns: whether @a and @b have the same canonical bytes: whether applying
 *   one after the other would change nothing.
 *
 * Since: 0.2
 */
gboolean
fleet_document_equal (FleetDocument *a, FleetDocument *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return g_bytes_equal (a->canonical, b->canonical);
}

/**
 * fleet_document_count_services:
 * @document: the document
 *
 * How many services @document has, in all its deployments.
 *
 * Returns: the number of services
 *
 * Since: 0.2
 */
guint
fleet_document_count_services (FleetDocument *document)
{
  guint n = 0;

  g_return_val_if_fail (document != NULL, 0);

  for (guint i = 0; i < document->deployments->len; i++)
    n += ((FleetDeploymentSpec *) document->deployments->pdata[i])->services->len;
  return n;
}
