/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "porteur-secret.h"

/* One page, locked and excluded from core dumps: far more than any PIN or enrolment secret. */
#define SECRET_CAPACITY 4096
#define SECRET_MAX 1024

struct _PorteurSecret
{
  gsize length;
  char  value[SECRET_CAPACITY - sizeof (gsize)];
};

static PorteurSecret *
secret_alloc (void)
{
  PorteurSecret *secret = mmap (NULL, SECRET_CAPACITY, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (secret == MAP_FAILED)
    g_error ("Cannot allocate memory for a secret: %s", g_strerror (errno));
  /* mlock may fail under RLIMIT_MEMLOCK; the page is still wiped and kept out of core dumps. */
  if (mlock (secret, SECRET_CAPACITY) != 0)
    g_debug ("mlock of a secret failed: %s", g_strerror (errno));
#ifdef MADV_DONTDUMP
  madvise (secret, SECRET_CAPACITY, MADV_DONTDUMP);
#endif
  secret->length = 0;
  return secret;
}

PorteurSecret *
porteur_secret_new (const char *value,
                    gsize       length)
{
  PorteurSecret *secret = secret_alloc ();

  length = MIN (length, (gsize) SECRET_MAX);
  memcpy (secret->value, value, length);
  secret->value[length] = '\0';
  secret->length = length;
  return secret;
}

static PorteurSecret *
read_line (int      fd,
           GError **error)
{
  PorteurSecret *secret = secret_alloc ();

  for (;;)
    {
      char c;
      ssize_t n = read (fd, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          porteur_secret_free (secret);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot read the secret: %s", g_strerror (saved));
          return NULL;
        }
      if (n == 0 || c == '\n')
        break;
      if (secret->length >= SECRET_MAX)
        {
          porteur_secret_free (secret);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The secret is too long");
          return NULL;
        }
      secret->value[secret->length++] = c;
    }
  if (secret->length && secret->value[secret->length - 1] == '\r')
    secret->length--;
  secret->value[secret->length] = '\0';
  return secret;
}

/* One line from a file descriptor (scripts: --pin-fd N). */
PorteurSecret *
porteur_secret_new_from_fd (int      fd,
                            GError **error)
{
  return read_line (fd, error);
}

/* From the controlling terminal, without echo. */
PorteurSecret *
porteur_secret_new_from_terminal (const char *prompt,
                                  GError    **error)
{
  struct termios saved, quiet;
  PorteurSecret *secret;
  int fd = open ("/dev/tty", O_RDWR | O_CLOEXEC);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No terminal to read the PIN from (use --pin-fd)");
      return NULL;
    }
  if (write (fd, prompt, strlen (prompt)) < 0)
    { /* the prompt is a courtesy */ }
  if (tcgetattr (fd, &saved) != 0)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot switch the terminal's echo off");
      return NULL;
    }
  quiet = saved;
  quiet.c_lflag &= ~(ECHO | ECHONL);
  quiet.c_lflag |= ICANON;
  tcsetattr (fd, TCSAFLUSH, &quiet);
  secret = read_line (fd, error);
  tcsetattr (fd, TCSAFLUSH, &saved);
  if (write (fd, "\n", 1) < 0)
    { /* nothing to do */ }
  close (fd);
  return secret;
}

const char *
porteur_secret_get (const PorteurSecret *secret,
                    gsize               *length)
{
  if (length)
    *length = secret->length;
  return secret->value;
}

gsize
porteur_secret_get_length (const PorteurSecret *secret)
{
  return secret->length;
}

gboolean
porteur_secret_is_digits (const PorteurSecret *secret)
{
  for (gsize i = 0; i < secret->length; i++)
    if (!g_ascii_isdigit (secret->value[i]))
      return FALSE;
  return TRUE;
}

void
porteur_secret_free (PorteurSecret *secret)
{
  if (secret == NULL)
    return;
  OPENSSL_cleanse (secret, SECRET_CAPACITY);
  munlock (secret, SECRET_CAPACITY);
  munmap (secret, SECRET_CAPACITY);
}
