/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "ca/porteur-ca-model.h"

/* The §3.4–3.6 models (appointment slot, security question, unblock session,
 * cryptogram, an order with its appointment) from untrusted bytes. The first
 * byte picks the parser. */
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  GObject *object = NULL;
  GListModel *list = NULL;

  if (size < 1)
    return 0;
  if (!json_parser_load_from_data (parser, (const char *) data + 1, size - 1, NULL))
    return 0;
  root = json_parser_get_root (parser);
  switch (data[0] % 7)
    {
    case 0: object = G_OBJECT (porteur_ca_appointment_slot_new_from_json (root, NULL)); break;
    case 1: list = porteur_ca_list_new_from_json (PORTEUR_TYPE_CA_APPOINTMENT_SLOT, root, NULL); break;
    case 2: list = porteur_ca_list_new_from_json (PORTEUR_TYPE_CA_SECURITY_QUESTION, root, NULL); break;
    case 3: object = G_OBJECT (porteur_ca_unblock_session_new_from_json (root, NULL)); break;
    case 4:
      object = G_OBJECT (porteur_ca_cryptogram_new_from_json (root, NULL));
      if (object)
        g_bytes_unref (porteur_ca_cryptogram_get_bytes (PORTEUR_CA_CRYPTOGRAM (object)));
      break;
    case 5:
      object = G_OBJECT (porteur_ca_order_new_from_json (root, NULL));
      if (object)
        json_node_unref (porteur_ca_order_to_json (PORTEUR_CA_ORDER (object)));
      break;
    default: object = G_OBJECT (porteur_ca_security_question_new_from_json (root, NULL)); break;
    }
  g_clear_object (&object);
  g_clear_object (&list);
  return 0;
}
