/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca-sim-db.h"
#include "ca-test-util.h"

/* The RA client against the real simulator over HTTPS on loopback. */

typedef CaTest Fixture;

static GListModel *
list_products (PorteurCaClient *client, GError **error)
{
  return CA_CALL (porteur_ca_client_list_products_finish, client, error,
                  porteur_ca_client_list_products_async (client, CA_ASYNC_ARGS));
}

static void
test_catalogue (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) products = list_products (f->client, &error);
  g_autoptr(GListModel) offices = NULL;
  g_autoptr(PorteurCaProduct) product = NULL;
  gboolean rennes = FALSE, operators = FALSE;

  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (products), ==, 3);
  product = g_list_model_get_item (products, 0);
  g_assert_cmpstr (porteur_ca_product_get_id (product), ==, "rgs2-sign-token");
  g_assert_cmpstr (porteur_ca_product_get_support (product), ==, "token");
  g_assert_cmpstr (porteur_ca_product_get_price_excl_tax (product), ==, "130.00");
  g_assert_cmpuint (porteur_ca_product_get_validity_years (product), ==, 3);
  g_assert_true (porteur_ca_product_get_requires_token (product));

  offices = CA_CALL (porteur_ca_client_list_offices_finish, f->client, &error,
                     porteur_ca_client_list_offices_async (f->client, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (offices), ==, 11);
  for (guint i = 0; i < g_list_model_get_n_items (offices); i++)
    {
      g_autoptr(PorteurCaOffice) office = g_list_model_get_item (offices, i);

      if (g_str_equal (porteur_ca_office_get_id (office), "cci-ille-et-vilaine-rennes"))
        {
          rennes = TRUE;
          g_assert_cmpstr (porteur_ca_office_get_postal_code (office), ==, "35000");
          g_assert_cmpstr (porteur_ca_office_get_city (office), ==, "RENNES");
          g_assert_true (porteur_ca_office_get_delivers (office));
        }
      if (g_str_equal (porteur_ca_office_get_id (office), "chambersign-france-acces-operateurs"))
        {
          operators = TRUE;
          g_assert_cmpstr (porteur_ca_office_get_name (office), ==, "ChamberSign France (Accès opérateurs)");
          g_assert_true (porteur_ca_office_get_accepts_files (office));
        }
    }
  g_assert_true (rennes && operators);
}

static char *
order_count (Fixture *f)
{
  /* The next order's number tells how many were created. */
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autoptr(PorteurCaOrder) order = ca_test_create_order (f, dossier, key, &error);

  g_assert_no_error (error);
  return g_strdup (porteur_ca_order_get_number (order));
}

static void
test_flow (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autoptr(PorteurCaOrder) order = ca_test_create_order (f, dossier, key, &error);
  g_autoptr(PorteurCaOrder) again = NULL;
  g_autoptr(PorteurCaOrder) read = NULL;
  g_autoptr(PorteurCaOrder) rectified = NULL;
  g_autoptr(PorteurCaOrder) submitted = NULL;
  g_autoptr(PorteurCaOrder) validated = NULL;
  g_autoptr(GListModel) history = NULL;
  g_autoptr(GListModel) checklist = NULL;
  g_autoptr(PorteurCaEnrollment) enrollment = NULL;
  g_autoptr(PorteurCaEnrollment) enrollment2 = NULL;
  g_autoptr(PorteurCaHistoryEntry) last = NULL;
  g_autoptr(PorteurCaChecklistItem) first_item = NULL;
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;
  g_autofree char *submit_key = porteur_ca_new_idempotency_key ();
  g_autofree char *rectify_key = porteur_ca_new_idempotency_key ();
  g_autofree char *out = NULL;

  g_assert_no_error (error);
  number = g_strdup (porteur_ca_order_get_number (order));
  token = g_strdup (porteur_ca_order_get_access_token (order));
  g_assert_true (g_str_has_prefix (number, "PO-"));
  g_assert_cmpuint (strlen (token), >=, 32);
  g_assert_cmpint (porteur_ca_order_get_status (order), ==, PORTEUR_CA_ORDER_STATUS_DRAFT);
  g_assert_cmpstr (porteur_ca_office_get_id (porteur_ca_order_get_office (order)), ==, "cci-ille-et-vilaine-rennes");

  /* The same key and body: the same order, never a second one. */
  again = ca_test_create_order (f, dossier, key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_order_get_number (again), ==, number);
  g_assert_cmpstr (porteur_ca_order_get_access_token (again), ==, token);

  read = ca_test_get_order (f, number, token, &error);
  g_assert_no_error (error);
  g_assert_null (porteur_ca_order_get_access_token (read));
  g_assert_cmpstr (json_object_get_string_member (porteur_ca_order_get_dossier (read), "siret"), ==, "21350238800019");

  /* Rectify: the holder's function. */
  json_object_set_string_member (json_object_get_object_member (dossier, "holder"), "function", "Directrice");
  rectified = CA_CALL (porteur_ca_client_rectify_order_finish, f->client, &error,
                       porteur_ca_client_rectify_order_async (f->client, number, token, dossier, rectify_key, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (porteur_ca_order_get_dossier (rectified), "holder"), "function"), ==, "Directrice");

  /* No enrollment for a draft. */
  enrollment = CA_CALL (porteur_ca_client_get_enrollment_finish, f->client, &error,
                        porteur_ca_client_get_enrollment_async (f->client, number, token, CA_ASYNC_ARGS));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_assert_null (enrollment);
  g_clear_error (&error);

  submitted = CA_CALL (porteur_ca_client_submit_order_finish, f->client, &error,
                       porteur_ca_client_submit_order_async (f->client, number, token, submit_key, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (submitted), ==, PORTEUR_CA_ORDER_STATUS_WAITING_DOCUMENTS);

  checklist = CA_CALL (porteur_ca_client_get_checklist_finish, f->client, &error,
                       porteur_ca_client_get_checklist_async (f->client, number, token, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  /* public body, holder, token bought: form, terms, holder ID, representative ID, purchase order */
  g_assert_cmpuint (g_list_model_get_n_items (checklist), ==, 5);
  first_item = g_list_model_get_item (checklist, 0);
  g_assert_cmpstr (porteur_ca_checklist_item_get_id (first_item), ==, "subscription-form");
  g_assert_true (porteur_ca_checklist_item_get_required (first_item));
  g_assert_false (porteur_ca_checklist_item_get_received (first_item));

  /* The enrollment reference and one-time secret are given from submission
   * on (the CMP IR can wait for the validation), the secret once. */
  enrollment = CA_CALL (porteur_ca_client_get_enrollment_finish, f->client, &error,
                        porteur_ca_client_get_enrollment_async (f->client, number, token, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (porteur_ca_enrollment_get_reference (enrollment), "REF-"));
  g_assert_cmpuint (strlen (porteur_ca_enrollment_get_reference (enrollment)), ==, 16);
  g_assert_cmpuint (strlen (porteur_ca_enrollment_get_secret (enrollment)), ==, 20);

  /* The registration office receives the documents; validation after 1 s. */
  out = ca_sim_harness_admin (f->sim, FALSE, "documents-received", number, NULL);
  g_usleep (1200 * 1000);
  validated = ca_test_get_order (f, number, token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (validated), ==, PORTEUR_CA_ORDER_STATUS_VALIDATED);

  history = CA_CALL (porteur_ca_client_get_history_finish, f->client, &error,
                     porteur_ca_client_get_history_async (f->client, number, token, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 4);
  last = g_list_model_get_item (history, 3);
  g_assert_cmpint (porteur_ca_history_entry_get_status (last), ==, PORTEUR_CA_ORDER_STATUS_VALIDATED);

  /* The secret was given once: after validation, the same reference and no secret. */
  enrollment2 = CA_CALL (porteur_ca_client_get_enrollment_finish, f->client, &error,
                         porteur_ca_client_get_enrollment_async (f->client, number, token, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_enrollment_get_reference (enrollment2), ==, porteur_ca_enrollment_get_reference (enrollment));
  g_assert_null (porteur_ca_enrollment_get_secret (enrollment2));
  g_assert_nonnull (porteur_ca_enrollment_get_secret_shown_at (enrollment2));

  /* Rectifying a validated order is refused. */
  g_clear_object (&rectified);
  g_free (rectify_key);
  rectify_key = porteur_ca_new_idempotency_key ();
  rectified = CA_CALL (porteur_ca_client_rectify_order_finish, f->client, &error,
                       porteur_ca_client_rectify_order_async (f->client, number, token, dossier, rectify_key, CA_ASYNC_ARGS));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_assert_null (rectified);
}

static void
test_validation_error (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autoptr(PorteurCaOrder) order = NULL;
  const PorteurCaProblem *problem;
  gboolean siret = FALSE, unknown = FALSE, office = FALSE;

  json_object_set_string_member (dossier, "siret", "21350238800018");
  json_object_set_string_member (dossier, "office", "cci-nowhere");
  json_object_set_int_member (dossier, "colour", 3);
  order = ca_test_create_order (f, dossier, NULL, &error);
  g_assert_null (order);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  problem = porteur_ca_error_get_problem (error);
  g_assert_nonnull (problem);
  g_assert_cmpuint (problem->status, ==, 422);
  g_assert_cmpuint (problem->errors->len, ==, 3);
  for (guint i = 0; i < problem->errors->len; i++)
    {
      PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);

      siret |= g_str_equal (fe->field, "siret") && g_str_equal (fe->code, "bad-checksum");
      unknown |= g_str_equal (fe->field, "colour") && g_str_equal (fe->code, "unknown-field");
      office |= g_str_equal (fe->field, "office") && g_str_equal (fe->code, "unknown-office");
    }
  g_assert_true (siret && unknown && office);

  /* Copying the error keeps the problem. */
  {
    g_autoptr(GError) copy = g_error_copy (error);
    g_assert_cmpuint (porteur_ca_error_get_problem (copy)->errors->len, ==, 3);
  }
}

static void
test_access (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autoptr(PorteurCaOrder) a = ca_test_create_order (f, dossier, NULL, &error);
  g_autoptr(PorteurCaOrder) b = ca_test_create_order (f, dossier, NULL, &error);
  g_autoptr(PorteurCaOrder) read = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_order_get_number (a), !=, porteur_ca_order_get_number (b));
  read = ca_test_get_order (f, porteur_ca_order_get_number (a), "not-a-token", &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_UNAUTHORIZED);
  g_assert_null (read);
  g_clear_error (&error);
  /* b's token does not open a: 404, no enumeration */
  read = ca_test_get_order (f, porteur_ca_order_get_number (a), porteur_ca_order_get_access_token (b), &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND);
  g_assert_null (read);
}

/* A POST whose answer is lost is retried with its key: one order only. */
static void
test_idempotent_retry (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autofree char *next = NULL;
  g_autofree char *out G_GNUC_UNUSED = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/orders", "lose-answer", "2", NULL);

  order = ca_test_create_order (f, dossier, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_order_get_number (order) + 8, ==, "000001");
  g_assert_nonnull (porteur_ca_order_get_access_token (order));
  next = order_count (f);
  g_assert_cmpstr (next + 8, ==, "000002");
}

typedef struct {
  const char     *kind;
  PorteurCaError  code;
} FaultCase;

static const FaultCase fault_cases[] = {
  { "http-500", PORTEUR_CA_ERROR_SERVER },
  { "malformed-json", PORTEUR_CA_ERROR_MALFORMED },
  { "wrong-content-type", PORTEUR_CA_ERROR_BAD_CONTENT_TYPE },
  { "redirect-http", PORTEUR_CA_ERROR_INSECURE_REDIRECT },
  { "huge-json", PORTEUR_CA_ERROR_INVALID_RESPONSE },
};

typedef enum { R_PRODUCTS, R_OFFICES, R_CREATE, R_GET, R_RECTIFY, R_SUBMIT, R_HISTORY, R_CHECKLIST, R_ENROLLMENT, N_REQUESTS } RequestKind;

static const struct { const char *method; const char *suffix; } request_paths[] = {
  { "GET", "/products" }, { "GET", "/offices" }, { "POST", "/orders" }, { "GET", "" }, { "PUT", "/dossier" },
  { "POST", "/submit" }, { "GET", "/history" }, { "GET", "/checklist" }, { "GET", "/enrollment" },
};

/* Runs one request; returns the result object (or NULL with @error). */
static gpointer
run_request (Fixture *f, RequestKind kind, const char *number, const char *token, GError **error)
{
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  PorteurCaClient *c = f->client;

  switch (kind)
    {
    case R_PRODUCTS: return list_products (c, error);
    case R_OFFICES: return CA_CALL (porteur_ca_client_list_offices_finish, c, error, porteur_ca_client_list_offices_async (c, CA_ASYNC_ARGS));
    case R_CREATE: return ca_test_create_order (f, dossier, NULL, error);
    case R_GET: return ca_test_get_order (f, number, token, error);
    case R_RECTIFY: return CA_CALL (porteur_ca_client_rectify_order_finish, c, error, porteur_ca_client_rectify_order_async (c, number, token, dossier, NULL, CA_ASYNC_ARGS));
    case R_SUBMIT: return CA_CALL (porteur_ca_client_submit_order_finish, c, error, porteur_ca_client_submit_order_async (c, number, token, NULL, CA_ASYNC_ARGS));
    case R_HISTORY: return CA_CALL (porteur_ca_client_get_history_finish, c, error, porteur_ca_client_get_history_async (c, number, token, CA_ASYNC_ARGS));
    case R_CHECKLIST: return CA_CALL (porteur_ca_client_get_checklist_finish, c, error, porteur_ca_client_get_checklist_async (c, number, token, CA_ASYNC_ARGS));
    case R_ENROLLMENT: return CA_CALL (porteur_ca_client_get_enrollment_finish, c, error, porteur_ca_client_get_enrollment_async (c, number, token, CA_ASYNC_ARGS));
    case N_REQUESTS: default: g_assert_not_reached ();
    }
}

/* Every request of the flow, each fault: a precise error, and nothing done
 * (an answer over 1 MiB is refused while it is read). */
static void
test_faults (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autoptr(PorteurCaOrder) order = ca_test_create_order (f, dossier, NULL, &error);
  g_autofree char *number = g_strdup (porteur_ca_order_get_number (order));
  const char *token = porteur_ca_order_get_access_token (order);
  g_autofree char *next = NULL;
  g_autoptr(PorteurCaOrder) after = NULL;
  g_autoptr(CaSimDb) db = NULL;

  g_assert_no_error (error);
  db = ca_sim_db_open (f->sim->state_dir, &error);
  g_assert_no_error (error);
  porteur_ca_client_set_max_retries (f->client, 1);
  /* Faults are injected before the simulator handles the request. */
  for (RequestKind k = 0; k < N_REQUESTS; k++)
    for (guint i = 0; i < G_N_ELEMENTS (fault_cases); i++)
      {
        g_autofree char *path = k <= R_CREATE ? g_strconcat ("/api/v1", request_paths[k].suffix, NULL)
                                              : g_strconcat ("/api/v1/orders/", number, request_paths[k].suffix, NULL);
        gpointer result;

        /* in-process, on the simulator's database: 45 admin processes would be slow under ASan */
        g_assert_true (ca_sim_db_add_fault (db, request_paths[k].method, path, fault_cases[i].kind, 1, &error));
        result = run_request (f, k, number, token, &error);

        g_test_message ("%s %s: %s", request_paths[k].method, path, fault_cases[i].kind);
        g_assert_null (result);
        g_assert_error (error, PORTEUR_CA_ERROR, (int) fault_cases[i].code);
        g_clear_error (&error);
      }
  /* Nothing was done: no second order, the first one still a draft. */
  after = ca_test_get_order (f, number, token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (after), ==, PORTEUR_CA_ORDER_STATUS_DRAFT);
  next = order_count (f);
  g_assert_cmpstr (next + 8, ==, "000002");
}

/* 503 with Retry-After is retried; beyond max-retries it is an error. */
static void
test_retry_unavailable (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) products = NULL;
  g_autofree char *out G_GNUC_UNUSED = ca_sim_harness_admin (f->sim, FALSE, "fault", "GET", "/api/v1/products", "http-503", "2", NULL);
  g_autofree char *out2 = NULL;

  products = list_products (f->client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (products), ==, 3);
  g_clear_object (&products);

  porteur_ca_client_set_max_retries (f->client, 1);
  out2 = ca_sim_harness_admin (f->sim, FALSE, "fault", "GET", "/api/v1/products", "http-503", "2", NULL);
  products = list_products (f->client, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SERVER);
  g_assert_nonnull (porteur_ca_error_get_problem (error));
  g_assert_null (products);
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = ca_test_dossier_new ();
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autofree char *out G_GNUC_UNUSED = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/orders", "delay", "1", NULL);
  g_autofree char *next = NULL;

  porteur_ca_client_set_timeout (f->client, 1);
  porteur_ca_client_set_max_retries (f->client, 0);
  order = ca_test_create_order (f, dossier, NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_TIMEOUT);
  g_assert_null (order);
  porteur_ca_client_set_timeout (f->client, 30);
  next = order_count (f);
  g_assert_cmpstr (next + 8, ==, "000001");
}

static void
on_cancel_timeout (gpointer data)
{
  g_cancellable_cancel (data);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *out G_GNUC_UNUSED = ca_sim_harness_admin (f->sim, FALSE, "fault", "GET", "/api/v1/products", "delay", "1", NULL);
  GAsyncResult *result = NULL;
  GListModel *products;
  gint64 start = g_get_monotonic_time ();

  porteur_ca_client_list_products_async (f->client, cancellable, ca_test_on_done, &result);
  g_timeout_add_once (200, on_cancel_timeout, cancellable);
  ca_test_await (&result);
  products = porteur_ca_client_list_products_finish (f->client, result, &error);
  g_object_unref (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (products);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

/* The simulator's certificate is not issued by the trust the client pins. */
static void
test_untrusted (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *issuing = g_build_filename (f->sim->state_dir, "pki", "issuing.pem", NULL);
  g_autoptr(PorteurCaClient) other = porteur_ca_client_new (f->sim->url, issuing, FALSE, &error);
  g_autoptr(GListModel) products = NULL;

  g_assert_no_error (error);
  products = list_products (other, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "not issued by the configured CA trust anchors"));
  g_assert_null (products);
}

static void
test_server_down (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(GListModel) products = NULL;
  g_autofree char *url = NULL;

  /* A port that was free a moment ago and on which nothing listens. */
  g_assert_true (g_socket_bind (socket, address, TRUE, &error));
  bound = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("https://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);
  client = porteur_ca_client_new (url, NULL, FALSE, &error);
  g_assert_no_error (error);
  porteur_ca_client_set_retry_delay (client, 10);
  products = list_products (client, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NETWORK);
  g_assert_null (products);
}

static void
test_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = porteur_ca_client_new ("http://ca.example/api/v1", NULL, TRUE, &error);

  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFIG);
  g_assert_null (client);
  g_clear_error (&error);
  client = porteur_ca_client_new ("https://ca.example", "/nonexistent/trust.pem", FALSE, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFIG);
  g_assert_null (client);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, delay) CA_TEST_ADD (path, delay, func)
  ADD ("/ca/client/catalogue", test_catalogue, 1);
  ADD ("/ca/client/flow", test_flow, 1);
  ADD ("/ca/client/validation-error", test_validation_error, 1);
  ADD ("/ca/client/access", test_access, 1);
  ADD ("/ca/client/idempotent-retry", test_idempotent_retry, 1);
  ADD ("/ca/client/faults", test_faults, 1);
  ADD ("/ca/client/retry-unavailable", test_retry_unavailable, 1);
  ADD ("/ca/client/timeout", test_timeout, 1);
  ADD ("/ca/client/cancel", test_cancel, 1);
  ADD ("/ca/client/untrusted", test_untrusted, 1);
  g_test_add_func ("/ca/client/server-down", test_server_down);
  g_test_add_func ("/ca/client/config", test_config);
  return ca_test_run ();
}
