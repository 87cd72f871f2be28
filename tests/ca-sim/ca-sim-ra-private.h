/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ca-sim.h"

G_BEGIN_DECLS

/* The RA API's request machinery (ca-sim-ra.c), shared with the endpoints
 * kept in their own files (ca-sim-revoke.c). Within the simulator only. */

typedef struct {
  char *field;
  char *code;
  char *message;
} FieldError;

/* An answer being built: status, content type, body, Location. */
typedef struct {
  guint  status;
  char  *content_type;
  char  *body;
  char  *location;
} Answer;

typedef struct {
  CaSim             *sim;
  SoupServerMessage *msg;
  const char        *method;
  char             **parts;     /* path below /api/v1, split on '/' */
  guint              n_parts;
  GBytes            *body;
  Answer             answer;
  GHashTable        *query;     /* nullable */
} Request;

void        field_error_free     (FieldError *fe);
void        add_field_error      (GPtrArray *errors, const char *field, const char *code, const char *message);
void        answer_json          (Answer *a, guint status, JsonNode *node);
void        answer_problem       (Answer *a, guint status, const char *type, const char *title,
                                  const char *detail, GPtrArray *errors);
char       *format_time          (gint64 t);
/* The request's JSON body, or NULL with the problem answered (415, 413, 400). */
JsonNode   *parse_body           (Request *r);
/* The order addressed by the request after checking its bearer token, or NULL (401/404 answered). */
CaSimOrder *authorised_order     (Request *r, const char *number);
void        answer_validation    (Request *r, GPtrArray *errors);
void        answer_order         (Request *r, guint status, const char *number, const char *token);
/* FALSE with a 422 answered when @root is not an object of @allowed members only. */
gboolean    only_members         (Request *r, JsonNode *root, const char *const *allowed);
/* §3.5: the "answers" member checked (2 distinct known questions); NULL with field errors. */
JsonArray  *answers_member       (JsonObject *object, GPtrArray *errors);
/* §3.5: @serial's answers checked with the per-serial lockout; FALSE with 403/429 answered. */
gboolean    check_holder_answers (Request *r, const char *serial, JsonArray *answers);

/* ca-sim-revoke.c: §3.7 revocation requests and DELETE …/appointment;
 * TRUE when it handled @r. */
gboolean    ca_sim_revoke_route  (Request *r);

G_END_DECLS
