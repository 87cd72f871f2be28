/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "porteur-tool-answers.h"

/* Security answers and confirmation codes from a file descriptor (porteur-tool-answers.h). */

#define MAX_FD_TEXT 4096

/* Wiped whole: a parse may have cut the text with NULs, so strlen () would
 * stop before its later lines. */
void
porteur_tool_fd_text_free (char *text)
{
  if (text)
    explicit_bzero (text, MAX_FD_TEXT + 1);
  g_free (text);
}

char *
porteur_tool_fd_text_read (int      fd,
                           GError **error)
{
  char *buffer = g_malloc0 (MAX_FD_TEXT + 1);
  gsize len = 0;

  for (;;)
    {
      ssize_t n = read (fd, buffer + len, MAX_FD_TEXT - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          porteur_tool_fd_text_free (buffer);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not read file descriptor %d: %s"), fd, g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      len += n;
      if (len == MAX_FD_TEXT)
        {
          porteur_tool_fd_text_free (buffer);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Too much text on file descriptor %d"), fd);
          return NULL;
        }
    }
  if (!g_utf8_validate (buffer, len, NULL))
    {
      porteur_tool_fd_text_free (buffer);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The text on file descriptor %d is not UTF-8"), fd);
      return NULL;
    }
  return buffer;
}

gboolean
porteur_tool_answers_parse (char                    *text,
                            PorteurCaSecurityAnswer  answers[2],
                            guint                   *n_answers,
                            GError                 **error)
{
  char *line = text;
  guint n = 0;

  *n_answers = 0;
  while (line && *line)
    {
      char *end = strchr (line, '\n');
      char *eq;

      if (end)
        *end = '\0';
      if (end && end > line && end[-1] == '\r')
        end[-1] = '\0';
      if (*line)
        {
          if ((eq = strchr (line, '=')) == NULL || eq == line || n == 2)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Give two answers, one per line, as QUESTION=ANSWER"));
              return FALSE;
            }
          *eq = '\0';
          answers[n].question = line;
          answers[n].answer = eq + 1;
          n++;
        }
      line = end ? end + 1 : NULL;
    }
  if (n != 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Give two answers, one per line, as QUESTION=ANSWER"));
      return FALSE;
    }
  *n_answers = n;
  return TRUE;
}

gboolean
porteur_tool_answers_read (int                      fd,
                           char                   **text,
                           PorteurCaSecurityAnswer  answers[2],
                           GError                 **error)
{
  guint n = 0;

  *text = porteur_tool_fd_text_read (fd, error);
  if (*text == NULL)
    return FALSE;
  if (!porteur_tool_answers_parse (*text, answers, &n, error))
    {
      g_clear_pointer (text, porteur_tool_fd_text_free);
      memset (answers, 0, 2 * sizeof *answers);
      return FALSE;
    }
  return TRUE;
}
