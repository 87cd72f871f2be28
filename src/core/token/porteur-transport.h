/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "porteur-apdu.h"

G_BEGIN_DECLS

/*
 * A channel to one token: PC/SC (shared mode, one transaction per operation), or in process for
 * tests (the emulator's card library). Implementations fill a PorteurTransportClass.
 * Transports are used from one thread at a time (PorteurToken serialises its operations).
 */
typedef struct _PorteurTransport PorteurTransport;

typedef struct
{
  /* Sends one encoded APDU; the raw answer (data + SW) goes to @response. */
  gboolean (*transmit) (PorteurTransport *self,
                        const guint8     *command,
                        gsize             length,
                        guint8           *response,
                        gsize            *response_length,
                        GError          **error);
  /* Starts an exclusive sequence; *was_reset is set when the token was reset by someone else
   * since the last sequence (the security state is gone). */
  gboolean (*begin)    (PorteurTransport *self,
                        gboolean         *was_reset,
                        GError          **error);
  /* Ends it; @reset_card drops the token's security state (after a signature). */
  void     (*end)      (PorteurTransport *self,
                        gboolean          reset_card);
  /* SCardControl, for pinpad readers; NULL when the transport has none. */
  gboolean (*control)  (PorteurTransport *self,
                        guint32           code,
                        const guint8     *in,
                        gsize             in_length,
                        guint8           *out,
                        gsize            *out_length,
                        GError          **error);
  void     (*free)     (PorteurTransport *self);
} PorteurTransportClass;

struct _PorteurTransport
{
  const PorteurTransportClass *klass;
  char    *reader;         /* the reader's name */
  GBytes  *atr;
  guint    apdu_count;     /* APDUs sent since creation */
};

/* Largest response we accept from one APDU (extended length). */
#define PORTEUR_TRANSPORT_MAX_RESPONSE 65538

void      porteur_transport_free      (PorteurTransport  *transport);
const char *porteur_transport_get_reader (PorteurTransport *transport);
GBytes   *porteur_transport_get_atr   (PorteurTransport  *transport);
gboolean  porteur_transport_begin     (PorteurTransport  *transport,
                                       gboolean          *was_reset,
                                       GError           **error);
void      porteur_transport_end       (PorteurTransport  *transport,
                                       gboolean           reset_card);
/* Sends @apdu and collects the whole answer: 61xx → GET RESPONSE, 6Cxx → resend with Le = xx.
 * A sensitive APDU's buffer is wiped after sending. */
gboolean  porteur_transport_exchange  (PorteurTransport  *transport,
                                       const PorteurApdu *apdu,
                                       PorteurResponse   *response,
                                       GError           **error);
gboolean  porteur_transport_control   (PorteurTransport  *transport,
                                       guint32            code,
                                       const guint8      *in,
                                       gsize              in_length,
                                       guint8            *out,
                                       gsize             *out_length,
                                       GError           **error);

/* PC/SC. */
typedef struct
{
  char     *name;
  gboolean  present;      /* a token is in the reader */
  gboolean  in_use;       /* another application holds it exclusively */
  gboolean  mute;         /* the token does not answer its reset */
  GBytes   *atr;          /* NULL when empty */
} PorteurReaderInfo;

void       porteur_reader_info_free    (PorteurReaderInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurReaderInfo, porteur_reader_info_free)

/* The readers pcscd knows, with their state; an empty array when there is none. */
GPtrArray *porteur_pcsc_list_readers   (GError           **error);
/* Connects to the token in @reader (NULL: the first reader with a token). */
PorteurTransport *porteur_pcsc_transport_new (const char  *reader,
                                              GError     **error);
/* Maps a PC/SC return code to a PorteurTokenError. */
gboolean   porteur_pcsc_set_error      (long               rv,
                                        const char        *what,
                                        GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurTransport, porteur_transport_free)

G_END_DECLS
