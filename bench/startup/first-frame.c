/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * first-frame: start a program and measure the time until its first top-level window is mapped
 * and has drawn its first frame (the first XDamage report on that window after mapping), then the
 * resident memory of the process once idle.
 *
 *   first-frame [--idle-ms N] -- PROGRAM [ARG…]
 *
 * Prints one line: "first_frame_ms=… rss_kib=…". Needs an X server (Xvfb) and XDamage.
 */
#include "config.h"

#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static long
read_rss_kib (pid_t pid)
{
  char path[64], line[256];
  long rss = -1;
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if (!(f = fopen (path, "r")))
    return -1;
  while (fgets (line, sizeof line, f))
    {
      if (strncmp (line, "VmRSS:", 6) == 0)
        {
          rss = strtol (line + 6, NULL, 10);
          break;
        }
    }
  fclose (f);
  return rss;
}

int
main (int   argc,
      char *argv[])
{
  int idle_ms = 3000;
  int first = 1;
  Display *dpy;
  Window root;
  int damage_event, damage_error;
  double start, mapped_at = -1, frame_at = -1;
  pid_t pid;

  for (; first < argc; first++)
    {
      if (strcmp (argv[first], "--idle-ms") == 0 && first + 1 < argc)
        idle_ms = atoi (argv[++first]);
      else if (strcmp (argv[first], "--") == 0)
        {
          first++;
          break;
        }
    }
  if (first >= argc)
    {
      fprintf (stderr, "usage: first-frame [--idle-ms N] -- PROGRAM [ARG…]\n");
      return 2;
    }

  if (!(dpy = XOpenDisplay (NULL)))
    {
      fprintf (stderr, "first-frame: cannot open the X display\n");
      return 2;
    }
  if (!XDamageQueryExtension (dpy, &damage_event, &damage_error))
    {
      fprintf (stderr, "first-frame: the X server has no DAMAGE extension\n");
      return 2;
    }
  root = DefaultRootWindow (dpy);
  XSelectInput (dpy, root, SubstructureNotifyMask);
  XSync (dpy, False);

  start = now_ms ();
  pid = fork ();
  if (pid == 0)
    {
      execvp (argv[first], argv + first);
      fprintf (stderr, "first-frame: cannot run %s: %s\n", argv[first], strerror (errno));
      _exit (127);
    }

  while (frame_at < 0)
    {
      XEvent ev;

      if (now_ms () - start > 60000)
        {
          fprintf (stderr, "first-frame: no frame within 60 s\n");
          kill (pid, SIGKILL);
          return 1;
        }
      if (!XPending (dpy))
        {
          int status;

          if (waitpid (pid, &status, WNOHANG) == pid)
            {
              fprintf (stderr, "first-frame: the program exited before drawing\n");
              return 1;
            }
          usleep (200);
          continue;
        }
      XNextEvent (dpy, &ev);
      if (ev.type == MapNotify && mapped_at < 0)
        {
          mapped_at = now_ms ();
          XDamageCreate (dpy, ev.xmap.window, XDamageReportNonEmpty);
        }
      else if (ev.type == damage_event + XDamageNotify)
        frame_at = now_ms ();
    }

  usleep ((useconds_t) idle_ms * 1000);
  printf ("first_frame_ms=%.1f mapped_ms=%.1f rss_kib=%ld\n", frame_at - start, mapped_at - start, read_rss_kib (pid));
  fflush (stdout);

  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  XCloseDisplay (dpy);
  return 0;
}
