/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "porteur-token.h"
#include "porteur-token-text.h"

/* The words a holder reads about the token, shared by the window and porteur-tool. */

const char *
porteur_token_error_describe (const GError *error)
{
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CANCELLED)
    return _("The operation was cancelled.");
  if (error->domain != PORTEUR_TOKEN_ERROR)
    return error->message;
  switch ((PorteurTokenError) error->code)
    {
    case PORTEUR_TOKEN_ERROR_NO_SERVICE:
      return _("The smart card service (pcscd) does not answer. Install and start pcscd, then try again.");
    case PORTEUR_TOKEN_ERROR_NO_READER:
      return _("No token reader is connected. Plug in your token.");
    case PORTEUR_TOKEN_ERROR_NO_TOKEN:
      return _("The reader is empty. Insert your token.");
    case PORTEUR_TOKEN_ERROR_REMOVED:
      return _("The token was removed during the operation. Insert it again and start over.");
    case PORTEUR_TOKEN_ERROR_RESET:
      return _("Another application reset the token. Try again.");
    case PORTEUR_TOKEN_ERROR_BUSY:
      return _("Another application is using the token. Close it or wait, then try again.");
    case PORTEUR_TOKEN_ERROR_UNKNOWN_TOKEN:
      return _("This token is not one Porteur knows.");
    case PORTEUR_TOKEN_ERROR_MALFORMED:
      return _("The token gave an answer Porteur cannot read. The token may be damaged.");
    case PORTEUR_TOKEN_ERROR_PIN_INCORRECT:
      return _("The PIN is wrong.");
    case PORTEUR_TOKEN_ERROR_PIN_BLOCKED:
      return _("The PIN is blocked. Unblock it with your PUK or through the certification authority.");
    case PORTEUR_TOKEN_ERROR_LAST_TRY:
      return _("Only one try is left: a wrong PIN now blocks it. Confirm that you want to use the last try.");
    case PORTEUR_TOKEN_ERROR_PIN_FORMAT:
      return _("The PIN does not have the expected length or characters.");
    case PORTEUR_TOKEN_ERROR_SECURITY:
      return _("The token refuses: the PIN must be entered first.");
    case PORTEUR_TOKEN_ERROR_NOT_FOUND:
      return _("The token does not hold what was asked for.");
    case PORTEUR_TOKEN_ERROR_NOT_SUPPORTED:
      return _("The token does not support this operation.");
    case PORTEUR_TOKEN_ERROR_CRYPTOGRAM:
      return _("The token refused the unblocking code from the certification authority.");
    case PORTEUR_TOKEN_ERROR_PINPAD_TIMEOUT:
      return _("Nothing was typed on the reader's keypad in time.");
    case PORTEUR_TOKEN_ERROR_PINPAD_CANCELLED:
      return _("The operation was cancelled on the reader's keypad.");
    case PORTEUR_TOKEN_ERROR_PINPAD_MISMATCH:
      return _("The two new PINs typed on the reader's keypad differ.");
    case PORTEUR_TOKEN_ERROR_CARD:
    case PORTEUR_TOKEN_ERROR_PCSC:
    default:
      return _("The token reported an error.");
    }
}

char *
porteur_pin_status_describe (const PorteurPinStatus *status)
{
  if (status->blocked)
    return g_strdup (_("Blocked"));
  if (status->tries_left < 0)
    return g_strdup (_("Tries left unknown"));
  if (status->tries_max > 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d try left of %d", "%d tries left of %d", status->tries_left),
                            status->tries_left, status->tries_max);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d try left", "%d tries left", status->tries_left),
                          status->tries_left);
}
