/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "token/porteur-transport.h"
#include "vtoken-card.h"

/*
 * An in-process transport to the virtual token's card logic, with the emulator's faults: the
 * card vanishes instead of answering the N-th APDU, answers a chosen status word, or garbage, or
 * its own answer with one bit flipped (a signature of the right length that does not check out).
 */
typedef struct
{
  PorteurTransport parent;
  VtokenCard      *card;        /* borrowed */
  guint            count;
  guint            remove_at;   /* 0: never */
  guint            sw_at;
  guint16          sw_value;
  guint            garbage_at;
  guint            corrupt_at;  /* the card's own answer with one bit of its body flipped */
  gboolean         removed;
  /* A pinpad reader: what the holder "types" on it (NULL: no pinpad). */
  const char      *typed[3];
  guint8           last_block[512];
  gsize            last_block_length;
} TestTransport;

PorteurTransport *test_transport_new (VtokenCard *card);
/* A card of @profile, from a state made once per process. */
VtokenCard       *test_card_new      (const char *profile);
