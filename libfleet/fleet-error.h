/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-error.h: the FLEET_ERROR domain shared by the library, the daemon
 * and the CLI, and its mapping to D-Bus error names.
 */
#pragma once

#if !defined (__FLEET_H_INSIDE__) && !defined (FLEET_COMPILATION)
#error "Only <fleet/fleet.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

#define FLEET_ERROR (fleet_error_quark ())

/**
 * FleetError:
 * @FLEET_ERROR_FAILED: anything not covered below
 * @FLEET_ERROR_INVALID_DOCUMENT: the desired-state document failed validation
 * @FLEET_ERROR_GENERATION_BACKWARDS: the document's generation is lower than the last applied one
 * @FLEET_ERROR_TOO_LARGE: a body or document exceeds a configured limit
 * @FLEET_ERROR_NOT_FOUND: no such container (or object)
 * @FLEET_ERROR_RUNTIME_UNAVAILABLE: the container runtime cannot be reached
 * @FLEET_ERROR_RUNTIME: the container runtime refused a request
 * @FLEET_ERROR_PULL_FAILED: an image could not be pulled
 * @FLEET_ERROR_START_FAILED: a container could not be created or started
 * @FLEET_ERROR_FETCH_FAILED: the desired-state source could not be fetched
 * @FLEET_ERROR_STATE_CORRUPT: the persisted state could not be read
 * @FLEET_ERROR_PERMISSION_DENIED: the caller may not do this
 * @FLEET_ERROR_BUSY: another operation is in progress
 * @FLEET_ERROR_INVALID_ARGUMENT: a bad option or argument
 * @FLEET_ERROR_STATE_UNSUPPORTED: the persisted state was written by a newer release
 * @FLEET_ERROR_BAD_SIGNATURE: the document's signature is missing where required, malformed,
 *   by a key that is not trusted, or does not match the document
 * @FLEET_ERROR_STALE_DOCUMENT: the document expired, or was issued before the last one accepted
 * @FLEET_ERROR_EXISTS: the name asked for is already taken (a container's)
 *
 * The error codes of %FLEET_ERROR.
 *
 * Since: 0.2
 */
typedef enum
{
  FLEET_ERROR_FAILED,
  FLEET_ERROR_INVALID_DOCUMENT,
  FLEET_ERROR_GENERATION_BACKWARDS,
  FLEET_ERROR_TOO_LARGE,
  FLEET_ERROR_NOT_FOUND,
  FLEET_ERROR_RUNTIME_UNAVAILABLE,
  FLEET_ERROR_RUNTIME,
  FLEET_ERROR_PULL_FAILED,
  FLEET_ERROR_START_FAILED,
  FLEET_ERROR_FETCH_FAILED,
  FLEET_ERROR_STATE_CORRUPT,
  FLEET_ERROR_PERMISSION_DENIED,
  FLEET_ERROR_BUSY,
  FLEET_ERROR_INVALID_ARGUMENT,
  FLEET_ERROR_STATE_UNSUPPORTED,
  FLEET_ERROR_BAD_SIGNATURE,
  FLEET_ERROR_STALE_DOCUMENT,
  FLEET_ERROR_EXISTS,
} FleetError;

#define FLEET_ERROR_LAST FLEET_ERROR_EXISTS

GQuark fleet_error_quark (void);

G_END_DECLS
