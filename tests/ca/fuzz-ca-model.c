/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "ca/porteur-ca-model.h"

/* The RA API's answers are untrusted: every model parser gets the bytes.
 * The first byte picks the parser. */
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  GObject *object = NULL;
  GListModel *list = NULL;
  PorteurCaProblem *problem = NULL;

  if (size < 1)
    return 0;
  if (!json_parser_load_from_data (parser, (const char *) data + 1, size - 1, NULL))
    return 0;
  root = json_parser_get_root (parser);
  switch (data[0] % 10)
    {
    case 0: object = G_OBJECT (porteur_ca_product_new_from_json (root, NULL)); break;
    case 1: object = G_OBJECT (porteur_ca_office_new_from_json (root, NULL)); break;
    case 2:
      object = G_OBJECT (porteur_ca_order_new_from_json (root, NULL));
      if (object)
        json_node_unref (porteur_ca_order_to_json (PORTEUR_CA_ORDER (object)));
      break;
    case 3: object = G_OBJECT (porteur_ca_history_entry_new_from_json (root, NULL)); break;
    case 4: object = G_OBJECT (porteur_ca_checklist_item_new_from_json (root, NULL)); break;
    case 5: object = G_OBJECT (porteur_ca_enrollment_new_from_json (root, NULL)); break;
    case 6: list = porteur_ca_list_new_from_json (PORTEUR_TYPE_CA_PRODUCT, root, NULL); break;
    case 7: list = porteur_ca_list_new_from_json (PORTEUR_TYPE_CA_OFFICE, root, NULL); break;
    case 8: list = porteur_ca_list_new_from_json (PORTEUR_TYPE_CA_HISTORY_ENTRY, root, NULL); break;
    default:
      problem = porteur_ca_problem_new_from_json (root, NULL);
      if (problem)
        {
          g_autoptr(GError) error = NULL;
          porteur_ca_set_error_from_problem (&error, PORTEUR_CA_ERROR_VALIDATION, problem);
        }
      break;
    }
  g_clear_object (&object);
  g_clear_object (&list);
  g_clear_pointer (&problem, porteur_ca_problem_free);
  return 0;
}
