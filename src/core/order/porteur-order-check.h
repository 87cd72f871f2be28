/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Result of one field check. Pure functions, no I/O: the wizard calls them
 * as the holder types, porteur-tool and the tests call the same ones. */
typedef enum {
  PORTEUR_ORDER_CHECK_OK = 0,
  PORTEUR_ORDER_CHECK_EMPTY,            /* required and empty */
  PORTEUR_ORDER_CHECK_TOO_LONG,
  PORTEUR_ORDER_CHECK_BAD_CHARACTER,    /* a character the CA does not accept */
  PORTEUR_ORDER_CHECK_BAD_LENGTH,       /* wrong number of digits */
  PORTEUR_ORDER_CHECK_NOT_DIGITS,
  PORTEUR_ORDER_CHECK_BAD_CHECKSUM,     /* SIRET key (Luhn / La Poste rule) */
  PORTEUR_ORDER_CHECK_BAD_SYNTAX,       /* e-mail syntax */
  PORTEUR_ORDER_CHECK_MISMATCH,         /* confirmation differs */
  PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT,
  PORTEUR_ORDER_CHECK_NOT_FRENCH,       /* phone number outside the French plan */
  PORTEUR_ORDER_CHECK_BAD_CHOICE,       /* not one of the allowed values */
} PorteurOrderCheck;

/* Limits the CA accepts (see docs/DESIGN.md, ## order). */
#define PORTEUR_ORDER_PERSON_NAME_MAX   64
#define PORTEUR_ORDER_ORG_NAME_MAX     128
#define PORTEUR_ORDER_ADDRESS_LINE_MAX  38
#define PORTEUR_ORDER_CITY_MAX          38
#define PORTEUR_ORDER_FUNCTION_MAX      64
#define PORTEUR_ORDER_EMAIL_MAX        254

const char        *porteur_order_check_code   (PorteurOrderCheck check);
const char        *porteur_order_check_message (PorteurOrderCheck check);

PorteurOrderCheck  porteur_order_check_siret      (const char  *text,
                                                   char       **normalised);
PorteurOrderCheck  porteur_order_check_email      (const char  *text);
PorteurOrderCheck  porteur_order_check_email_pair (const char  *text,
                                                   const char  *confirmation);
PorteurOrderCheck  porteur_order_check_person_name (const char *text);
PorteurOrderCheck  porteur_order_check_org_name   (const char  *text);
PorteurOrderCheck  porteur_order_check_text       (const char  *text,
                                                   gboolean     required,
                                                   gsize        max_chars);
PorteurOrderCheck  porteur_order_check_address_line (const char *text,
                                                     gboolean    required);
PorteurOrderCheck  porteur_order_check_city       (const char  *text);
PorteurOrderCheck  porteur_order_check_postal_code (const char *text);
PorteurOrderCheck  porteur_order_check_phone      (const char  *text,
                                                   char       **normalised);

typedef struct {
  char              *field;    /* JSON path in the dossier, e.g. "holder.email" */
  PorteurOrderCheck  check;
  const char        *code;     /* stable code, e.g. "bad-checksum" */
  const char        *message;  /* English, for logs; the UI translates by code */
} PorteurOrderFieldError;

void porteur_order_field_error_free (PorteurOrderFieldError *error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurOrderFieldError, porteur_order_field_error_free)

/* Checks a whole dossier (the contract's JSON object). Returns an array of
 * PorteurOrderFieldError, empty when the dossier is complete and valid. */
GPtrArray *porteur_order_dossier_validate (JsonObject *dossier);

/* Typed access to the dossier's members: NULL when absent or of another type. */
const char *porteur_order_member_string (JsonObject *object,
                                         const char *name);
JsonObject *porteur_order_member_object (JsonObject *object,
                                         const char *name);

G_END_DECLS
