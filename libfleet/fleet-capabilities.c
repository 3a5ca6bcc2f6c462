/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-capabilities.c: the kernel's capability names (capabilities(7),
 * include/uapi/linux/capability.h), so that a document naming one that
 * does not exist is refused when it is validated rather than when podman
 * creates the container.
 *
 * Names are matched as compose and podman match them: with or without the
 * "CAP_" prefix, in any case; "ALL" stands for every capability.
 */
#include "config.h"

#include <string.h>

#include "fleet-capabilities-private.h"

/* In the kernel's order: the index is the capability's number. */
static const char *const capabilities[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

/* CAP_CHECKPOINT_RESTORE is 40, the last one Linux 6.x defines. */
G_STATIC_ASSERT (G_N_ELEMENTS (capabilities) == 41);

/**
 * _fleet_capability_lookup:
 * @name: a capability as a document writes it: "NET_ADMIN", "CAP_NET_ADMIN",
 *   "net_admin", or "ALL"
 *
 * Returns: (nullable): the canonical name ("CAP_NET_ADMIN", or "ALL"), or
 *   %NULL when @name is no capability
 */
const char *
_fleet_capability_lookup (const char *name)
{
  const char *bare = name;

  if (g_ascii_strcasecmp (name, "ALL") == 0)
    return "ALL";
  if (g_ascii_strncasecmp (name, "CAP_", 4) == 0)
    bare = name + 4;
  for (gsize i = 0; i < G_N_ELEMENTS (capabilities); i++)
    if (g_ascii_strcasecmp (capabilities[i] + 4, bare) == 0)
      return capabilities[i];
  return NULL;
}
