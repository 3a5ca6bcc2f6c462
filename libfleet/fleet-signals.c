/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fleet-signals.c: the table of signal names a document may use for a
 * service's stop signal.  Real-time signals have no stable name and are not
 * accepted.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "fleet-signals-private.h"

static const struct
{
  const char *name;
  int number;
} signals[] = {
  { "SIGHUP", SIGHUP },       { "SIGINT", SIGINT },       { "SIGQUIT", SIGQUIT },
  { "SIGILL", SIGILL },       { "SIGTRAP", SIGTRAP },     { "SIGABRT", SIGABRT },
  { "SIGBUS", SIGBUS },       { "SIGFPE", SIGFPE },       { "SIGKILL", SIGKILL },
  { "SIGUSR1", SIGUSR1 },     { "SIGSEGV", SIGSEGV },     { "SIGUSR2", SIGUSR2 },
  { "SIGPIPE", SIGPIPE },     { "SIGALRM", SIGALRM },     { "SIGTERM", SIGTERM },
  { "SIGCHLD", SIGCHLD },     { "SIGCONT", SIGCONT },     { "SIGSTOP", SIGSTOP },
  { "SIGTSTP", SIGTSTP },     { "SIGTTIN", SIGTTIN },     { "SIGTTOU", SIGTTOU },
  { "SIGURG", SIGURG },       { "SIGXCPU", SIGXCPU },     { "SIGXFSZ", SIGXFSZ },
  { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },     { "SIGWINCH", SIGWINCH },
  { "SIGIO", SIGIO },         { "SIGPWR", SIGPWR },       { "SIGSYS", SIGSYS },
};

int
_fleet_signal_from_name (const char *name, const char **canonical_name)
{
  const char *bare = g_str_has_prefix (name, "SIG") ? name + 3 : name;

  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      if (strcmp (signals[i].name + 3, bare) == 0)
        {
          if (canonical_name)
            *canonical_name = signals[i].name;
          return signals[i].number;
        }
    }
  return 0;
}

const char *
_fleet_signal_to_name (int signum)
{
  for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
    if (signals[i].number == signum)
      return signals[i].name;
  return NULL;
}
