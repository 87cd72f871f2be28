/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vtoken-card.h"

/*
 * porteur-virtual-token: the virtual token as a card in Debian's vsmartcard-vpcd reader.
 * Wire protocol to vpcd: 2-byte big-endian length + payload; a 1-byte payload is a control code
 * (0 power off, 1 power on, 2 reset, 4 send the ATR), longer ones are C-APDUs answered with
 * R-APDUs. Closing the socket removes the card; reconnecting inserts it, with its memory intact.
 *
 * The control socket (--control PATH, one command per line, one answer line each):
 *   remove | insert | dump | save FILE | quit
 *   remove-at N      remove the card instead of answering the N-th APDU from now (1 = next)
 *   remove-after N   answer the N-th APDU from now, then remove the card
 *   mute-at N [S]    do not answer the N-th APDU from now; after S seconds (2) the card drops off
 *                    and comes back, as a CCID reader resets a mute card (vpcd itself has no
 *                    timeout and would wait for ever)
 *   sw-at N XXXX     answer the N-th APDU from now with status word XXXX only
 *   delay MS         wait MS milliseconds before every answer
 */

typedef struct
{
  VtokenCard *card;
  char       *host;
  int         port;
  char       *state_file;
  int         vpcd;             /* -1 when removed */
  gboolean    inserted;
  guint64     apdu_count;
  guint64     remove_at, remove_after, mute_at, sw_at;
  guint       mute_seconds;
  guint16     sw_value;
  guint       delay_ms;
} Token;

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
    }
  return TRUE;
}

/* vpcd writes a message's 2-byte length and its payload separately, without TCP_NODELAY: Nagle
 * holds the payload until the length is acknowledged, and Linux delays that ACK by 40 ms. That made
 * every APDU take 44 ms, far slower than a real token's reader. TCP_QUICKACK (which the kernel
 * clears again after use, hence before each read) acknowledges at once. */
static gboolean
read_all (int     fd,
          guint8 *data,
          gsize   length)
{
  while (length > 0)
    {
      int one = 1;
      ssize_t n;

      setsockopt (fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
      n = read (fd, data, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
    }
  return TRUE;
}

static gboolean
send_message (int           fd,
              const guint8 *data,
              gsize         length)
{
  guint8 head[2] = { length >> 8, length & 0xFF };

  return write_all (fd, head, 2) && write_all (fd, data, length);
}

static void
disconnect (Token *token)
{
  if (token->vpcd >= 0)
    close (token->vpcd);
  token->vpcd = -1;
  vtoken_card_reset (token->card);
}

static void
try_connect (Token *token)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (token->port) };
  int fd, one = 1;

  if (token->vpcd >= 0 || !token->inserted)
    return;
  inet_pton (AF_INET, token->host, &address.sin_addr);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      close (fd);
      return;
    }
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  token->vpcd = fd;
}

static void
save_state (Token *token)
{
  g_autoptr(GError) error = NULL;

  if (token->state_file && !vtoken_card_save_to_file (token->card, token->state_file, &error))
    g_printerr ("porteur-virtual-token: %s\n", error->message);
}

static void
handle_vpcd (Token *token)
{
  guint8 head[2];
  g_autofree guint8 *payload = NULL;
  gsize length;

  if (!read_all (token->vpcd, head, 2))
    {
      disconnect (token);
      return;
    }
  length = head[0] << 8 | head[1];
  payload = g_malloc (MAX (length, 1));
  if (!read_all (token->vpcd, payload, length))
    {
      disconnect (token);
      return;
    }

  if (length == 1)
    {
      switch (payload[0])
        {
        case 0: case 1: case 2:
          vtoken_card_reset (token->card);
          break;
        case 4:
          {
            g_autoptr(GBytes) atr = vtoken_card_get_atr (token->card);
            if (!send_message (token->vpcd, g_bytes_get_data (atr, NULL), g_bytes_get_size (atr)))
              disconnect (token);
          }
          break;
        default:
          break;
        }
      return;
    }

  token->apdu_count++;
  if (token->remove_at && token->apdu_count >= token->remove_at)
    {
      token->remove_at = 0;
      token->inserted = FALSE;
      disconnect (token);
      return;
    }
  if (token->mute_at && token->apdu_count >= token->mute_at)
    {
      token->mute_at = 0;
      g_usleep ((gulong) token->mute_seconds * G_USEC_PER_SEC);
      disconnect (token);   /* reconnected by the main loop: removed, then inserted */
      return;
    }
  if (token->delay_ms)
    g_usleep (token->delay_ms * 1000);
  if (token->sw_at && token->apdu_count >= token->sw_at)
    {
      guint8 sw[2] = { token->sw_value >> 8, token->sw_value & 0xFF };
      token->sw_at = 0;
      if (!send_message (token->vpcd, sw, 2))
        disconnect (token);
      return;
    }
  {
    g_autoptr(GBytes) response = vtoken_card_process (token->card, payload, length);
    /* Like a card writing its EEPROM, the state is stored before the answer leaves. */
    OPENSSL_cleanse (payload, length);
    save_state (token);
    if (!send_message (token->vpcd, g_bytes_get_data (response, NULL), g_bytes_get_size (response)))
      disconnect (token);
  }
  if (token->remove_after && token->apdu_count >= token->remove_after)
    {
      token->remove_after = 0;
      token->inserted = FALSE;
      disconnect (token);
    }
}

static char *
handle_command (Token      *token,
                const char *line)
{
  g_auto(GStrv) words = g_strsplit_set (line, " \t\r\n", -1);
  const char *cmd = words[0] ? words[0] : "";

  if (g_str_equal (cmd, "remove"))
    {
      token->inserted = FALSE;
      disconnect (token);
      return g_strdup ("ok removed");
    }
  if (g_str_equal (cmd, "insert"))
    {
      token->inserted = TRUE;
      try_connect (token);
      return g_strdup (token->vpcd >= 0 ? "ok inserted" : "error no reader");
    }
  if (g_str_equal (cmd, "dump"))
    {
      g_autofree char *dump = vtoken_card_dump (token->card);
      return g_strdup_printf ("ok %s inserted=%d apdus=%" G_GUINT64_FORMAT, dump, token->vpcd >= 0, token->apdu_count);
    }
  if (g_str_equal (cmd, "save") && words[1])
    {
      g_autoptr(GError) error = NULL;
      if (!vtoken_card_save_to_file (token->card, words[1], &error))
        return g_strdup_printf ("error %s", error->message);
      return g_strdup ("ok saved");
    }
  if (g_str_equal (cmd, "remove-after") && words[1] && g_ascii_strtoull (words[1], NULL, 10) > 0)
    {
      token->remove_after = token->apdu_count + g_ascii_strtoull (words[1], NULL, 10);
      return g_strdup ("ok");
    }
  if ((g_str_equal (cmd, "remove-at") || g_str_equal (cmd, "mute-at")) && words[1])
    {
      guint64 n = g_ascii_strtoull (words[1], NULL, 10);
      if (n == 0)
        return g_strdup ("error N starts at 1");
      if (g_str_equal (cmd, "remove-at"))
        token->remove_at = token->apdu_count + n;
      else
        {
          token->mute_at = token->apdu_count + n;
          token->mute_seconds = words[2] ? (guint) g_ascii_strtoull (words[2], NULL, 10) : 2;
        }
      return g_strdup ("ok");
    }
  if (g_str_equal (cmd, "sw-at") && words[1] && words[2])
    {
      token->sw_at = token->apdu_count + g_ascii_strtoull (words[1], NULL, 10);
      token->sw_value = (guint16) g_ascii_strtoull (words[2], NULL, 16);
      return g_strdup ("ok");
    }
  if (g_str_equal (cmd, "delay") && words[1])
    {
      token->delay_ms = (guint) g_ascii_strtoull (words[1], NULL, 10);
      return g_strdup ("ok");
    }
  if (g_str_equal (cmd, "quit"))
    return NULL;
  return g_strdup_printf ("error unknown command %s", cmd);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- Porteur's virtual token for vsmartcard-vpcd");
  g_autoptr(GError) error = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *control = NULL;
  gboolean list = FALSE;
  Token token = { .vpcd = -1, .inserted = TRUE, .port = 0x8C7B };
  int listener = -1;
  GPtrArray *clients = g_ptr_array_new ();
  const GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &token.port, "vpcd's TCP port (35963)", "PORT" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &token.host, "vpcd's address (127.0.0.1)", "ADDRESS" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile, "The card to emulate (see --list-profiles)", "NAME" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &token.state_file, "Load the card's state from FILE if it exists, and keep it there", "FILE" },
    { "control", 0, 0, G_OPTION_ARG_FILENAME, &control, "Listen for control commands on this Unix socket", "PATH" },
    { "list-profiles", 0, 0, G_OPTION_ARG_NONE, &list, "List the profiles and exit", NULL },
    { NULL }
  };

  /* vpcd may close the connection while the card answers (a removal, a reset): a write must
   * then fail, not kill the card with SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("porteur-virtual-token: %s\n", error->message);
      return 2;
    }
  if (list)
    {
      for (const char *const *p = vtoken_card_list_profiles (); *p; p++)
        g_print ("%s\n", *p);
      return 0;
    }
  if (!token.host)
    token.host = g_strdup ("127.0.0.1");
  if (!(token.card = vtoken_card_new (profile ? profile : "oberthur-iasecc", &error)))
    {
      g_printerr ("porteur-virtual-token: %s\n", error->message);
      return 2;
    }
  if (token.state_file && g_file_test (token.state_file, G_FILE_TEST_EXISTS))
    {
      g_autofree char *json = NULL;
      if (!g_file_get_contents (token.state_file, &json, NULL, &error) ||
          !vtoken_card_load_state (token.card, json, &error))
        {
          g_printerr ("porteur-virtual-token: %s\n", error->message);
          return 2;
        }
    }
  save_state (&token);

  if (control)
    {
      struct sockaddr_un address = { .sun_family = AF_UNIX };
      g_strlcpy (address.sun_path, control, sizeof address.sun_path);
      unlink (control);
      listener = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (bind (listener, (struct sockaddr *) &address, sizeof address) != 0 || listen (listener, 4) != 0)
        {
          g_printerr ("porteur-virtual-token: cannot listen on %s: %s\n", control, g_strerror (errno));
          return 2;
        }
    }

  for (;;)
    {
      struct pollfd fds[16];
      nfds_t n = 0;

      try_connect (&token);
      if (token.vpcd >= 0)
        fds[n++] = (struct pollfd) { token.vpcd, POLLIN, 0 };
      if (listener >= 0)
        fds[n++] = (struct pollfd) { listener, POLLIN, 0 };
      for (guint i = 0; i < clients->len && n < G_N_ELEMENTS (fds); i++)
        fds[n++] = (struct pollfd) { GPOINTER_TO_INT (g_ptr_array_index (clients, i)), POLLIN, 0 };

      if (poll (fds, n, token.vpcd >= 0 || !token.inserted ? 1000 : 20) < 0 && errno != EINTR)
        break;

      for (nfds_t i = 0; i < n; i++)
        {
          if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          if (fds[i].fd == token.vpcd)
            handle_vpcd (&token);
          else if (fds[i].fd == listener)
            {
              int client = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
              if (client >= 0)
                g_ptr_array_add (clients, GINT_TO_POINTER (client));
            }
          else
            {
              char buffer[512];
              ssize_t got = read (fds[i].fd, buffer, sizeof buffer - 1);
              g_autofree char *answer = NULL;

              if (got <= 0)
                {
                  close (fds[i].fd);
                  g_ptr_array_remove (clients, GINT_TO_POINTER (fds[i].fd));
                  continue;
                }
              buffer[got] = '\0';
              answer = handle_command (&token, buffer);
              if (answer == NULL)
                goto out;
              write_all (fds[i].fd, (const guint8 *) answer, strlen (answer));
              write_all (fds[i].fd, (const guint8 *) "\n", 1);
            }
        }
    }

out:
  save_state (&token);
  disconnect (&token);
  if (control)
    unlink (control);
  vtoken_card_free (token.card);
  return 0;
}
