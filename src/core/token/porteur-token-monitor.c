/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <string.h>

#include "porteur-token-monitor.h"

#define PNP_READER "\\\\?PnP?\\Notification"
#define WAIT_MS 1000
#define MAX_READERS 16

struct _PorteurTokenMonitor
{
  GObject       parent_instance;

  /* Owned */
  GMainContext *context;
  GThread      *thread;
  GMutex        mutex;
  GCond         cond;
  gint          stop;              /* atomic */
  SCARDCONTEXT  pcsc;              /* the thread's context, for SCardCancel */
  gboolean      pcsc_valid;
  GHashTable   *readers;           /* main-thread view: name → present (GINT) */
  gboolean      service_available;
};

enum { PROP_0, PROP_SERVICE_AVAILABLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { READER_ADDED, READER_REMOVED, TOKEN_INSERTED, TOKEN_REMOVED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PorteurTokenMonitor, porteur_token_monitor, G_TYPE_OBJECT)

typedef enum { EV_READER_ADDED, EV_READER_REMOVED, EV_TOKEN_INSERTED, EV_TOKEN_REMOVED, EV_SERVICE } EventKind;

typedef struct
{
  PorteurTokenMonitor *self;
  EventKind            kind;
  char                *reader;
  GBytes              *atr;
  gboolean             available;
} Event;

static void
event_free (Event *event)
{
  g_object_unref (event->self);
  g_free (event->reader);
  g_clear_pointer (&event->atr, g_bytes_unref);
  g_free (event);
}

static gboolean
deliver (gpointer data)
{
  Event *event = data;
  PorteurTokenMonitor *self = event->self;

  if (g_atomic_int_get (&self->stop))
    return G_SOURCE_REMOVE;
  switch (event->kind)
    {
    case EV_READER_ADDED:
      g_hash_table_insert (self->readers, g_strdup (event->reader), GINT_TO_POINTER (0));
      g_signal_emit (self, signals[READER_ADDED], 0, event->reader);
      break;
    case EV_READER_REMOVED:
      g_hash_table_remove (self->readers, event->reader);
      g_signal_emit (self, signals[READER_REMOVED], 0, event->reader);
      break;
    case EV_TOKEN_INSERTED:
      g_hash_table_insert (self->readers, g_strdup (event->reader), GINT_TO_POINTER (1));
      g_signal_emit (self, signals[TOKEN_INSERTED], 0, event->reader, event->atr);
      break;
    case EV_TOKEN_REMOVED:
      g_hash_table_insert (self->readers, g_strdup (event->reader), GINT_TO_POINTER (0));
      g_signal_emit (self, signals[TOKEN_REMOVED], 0, event->reader);
      break;
    case EV_SERVICE:
      if (self->service_available != event->available)
        {
          self->service_available = event->available;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVICE_AVAILABLE]);
        }
      break;
    default:
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
post (PorteurTokenMonitor *self,
      EventKind            kind,
      const char          *reader,
      const guint8        *atr,
      gsize                atr_length,
      gboolean             available)
{
  Event *event = g_new0 (Event, 1);

  event->self = g_object_ref (self);
  event->kind = kind;
  event->reader = g_strdup (reader);
  event->atr = atr ? g_bytes_new (atr, atr_length) : NULL;
  event->available = available;
  g_debug ("token monitor: event %d on %s", kind, reader ? reader : "-");
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, deliver, event, (GDestroyNotify) event_free);
}

/* Sleeps up to @ms unless asked to stop. */
static void
pause_ms (PorteurTokenMonitor *self,
          guint                ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&self->mutex);
  while (!g_atomic_int_get (&self->stop) && g_cond_wait_until (&self->cond, &self->mutex, deadline))
    ;
  g_mutex_unlock (&self->mutex);
}

typedef struct
{
  char  name[256];
  DWORD state;       /* last event state, without CHANGED */
} Known;

static void
forget_all (PorteurTokenMonitor *self,
            Known               *known,
            guint               *n_known)
{
  for (guint i = 0; i < *n_known; i++)
    {
      if (known[i].state & SCARD_STATE_PRESENT)
        post (self, EV_TOKEN_REMOVED, known[i].name, NULL, 0, FALSE);
      post (self, EV_READER_REMOVED, known[i].name, NULL, 0, FALSE);
    }
  *n_known = 0;
}

/* Lists the readers; reports those that came and went. */
static LONG
refresh_readers (PorteurTokenMonitor *self,
                 SCARDCONTEXT         pcsc,
                 Known               *known,
                 guint               *n_known)
{
  char names[4096];
  DWORD length = sizeof names;
  LONG rv = SCardListReaders (pcsc, NULL, names, &length);
  Known fresh[MAX_READERS];
  guint n_fresh = 0;

  if (rv == SCARD_E_NO_READERS_AVAILABLE)
    length = 0, names[0] = '\0', rv = SCARD_S_SUCCESS;
  if (rv != SCARD_S_SUCCESS)
    return rv;
  for (const char *p = names; length && *p && n_fresh < MAX_READERS; p += strlen (p) + 1)
    {
      gboolean was = FALSE;
      for (guint i = 0; i < *n_known; i++)
        if (g_str_equal (known[i].name, p))
          {
            fresh[n_fresh] = known[i];
            was = TRUE;
          }
      if (!was)
        {
          g_strlcpy (fresh[n_fresh].name, p, sizeof fresh[n_fresh].name);
          fresh[n_fresh].state = SCARD_STATE_UNAWARE;
          post (self, EV_READER_ADDED, p, NULL, 0, FALSE);
        }
      n_fresh++;
    }
  for (guint i = 0; i < *n_known; i++)
    {
      gboolean still = FALSE;
      for (guint j = 0; j < n_fresh; j++)
        still = still || g_str_equal (known[i].name, fresh[j].name);
      if (!still)
        {
          if (known[i].state & SCARD_STATE_PRESENT)
            post (self, EV_TOKEN_REMOVED, known[i].name, NULL, 0, FALSE);
          post (self, EV_READER_REMOVED, known[i].name, NULL, 0, FALSE);
        }
    }
  memcpy (known, fresh, sizeof (Known) * n_fresh);
  *n_known = n_fresh;
  return SCARD_S_SUCCESS;
}

static gpointer
monitor_thread (gpointer data)
{
  PorteurTokenMonitor *self = data;
  Known known[MAX_READERS];
  guint n_known = 0;
  SCARDCONTEXT pcsc = 0;
  gboolean have_context = FALSE, reported_down = FALSE, need_list = TRUE;
  DWORD pnp_state = SCARD_STATE_UNAWARE;

  while (!g_atomic_int_get (&self->stop))
    {
      SCARD_READERSTATE states[MAX_READERS + 1];
      LONG rv;

      if (!have_context)
        {
          rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &pcsc);
          if (rv != SCARD_S_SUCCESS)
            {
              if (!reported_down)
                post (self, EV_SERVICE, NULL, NULL, 0, FALSE);
              reported_down = TRUE;
              pause_ms (self, WAIT_MS);
              continue;
            }
          g_mutex_lock (&self->mutex);
          self->pcsc = pcsc;
          self->pcsc_valid = TRUE;
          g_mutex_unlock (&self->mutex);
          have_context = TRUE;
          reported_down = FALSE;
          need_list = TRUE;
          pnp_state = SCARD_STATE_UNAWARE;
          post (self, EV_SERVICE, NULL, NULL, 0, TRUE);
        }

      if (need_list)
        {
          rv = refresh_readers (self, pcsc, known, &n_known);
          need_list = FALSE;
          if (rv != SCARD_S_SUCCESS)
            goto lost;
        }

      for (guint i = 0; i < n_known; i++)
        {
          memset (&states[i], 0, sizeof states[i]);
          states[i].szReader = known[i].name;
          states[i].dwCurrentState = known[i].state;
        }
      memset (&states[n_known], 0, sizeof states[n_known]);
      states[n_known].szReader = PNP_READER;
      states[n_known].dwCurrentState = pnp_state;

      rv = SCardGetStatusChange (pcsc, WAIT_MS, states, n_known + 1);
      if (g_atomic_int_get (&self->stop))
        break;
      if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED)
        continue;
      if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE)
        {
          need_list = TRUE;
          continue;
        }
      if (rv != SCARD_S_SUCCESS)
        goto lost;

      for (guint i = 0; i < n_known; i++)
        {
          DWORD was = known[i].state, now = states[i].dwEventState & ~SCARD_STATE_CHANGED;
          gboolean was_present = (was & SCARD_STATE_PRESENT) != 0, is_present = (now & SCARD_STATE_PRESENT) != 0;

          if (!(states[i].dwEventState & SCARD_STATE_CHANGED) && was != SCARD_STATE_UNAWARE)
            continue;
          if (now & (SCARD_STATE_UNAVAILABLE | SCARD_STATE_UNKNOWN))
            need_list = TRUE;
          /* The high 16 bits count insertions and removals: a quick swap is still two events. */
          if (was_present && is_present && (was >> 16) != (now >> 16) && was != SCARD_STATE_UNAWARE)
            {
              post (self, EV_TOKEN_REMOVED, known[i].name, NULL, 0, FALSE);
              post (self, EV_TOKEN_INSERTED, known[i].name, states[i].rgbAtr, states[i].cbAtr, FALSE);
            }
          else if (is_present && (!was_present || was == SCARD_STATE_UNAWARE))
            post (self, EV_TOKEN_INSERTED, known[i].name, states[i].rgbAtr, states[i].cbAtr, FALSE);
          else if (!is_present && was_present)
            post (self, EV_TOKEN_REMOVED, known[i].name, NULL, 0, FALSE);
          known[i].state = now;
        }
      if (states[n_known].dwEventState & SCARD_STATE_CHANGED)
        {
          pnp_state = states[n_known].dwEventState & ~SCARD_STATE_CHANGED;
          need_list = TRUE;
        }
      continue;

    lost:
      /* pcscd went away (or restarted): every reader is gone until it answers again. */
      g_debug ("token monitor: PC/SC lost (%s)", pcsc_stringify_error (rv));
      forget_all (self, known, &n_known);
      g_mutex_lock (&self->mutex);
      self->pcsc_valid = FALSE;
      g_mutex_unlock (&self->mutex);
      SCardReleaseContext (pcsc);
      have_context = FALSE;
      post (self, EV_SERVICE, NULL, NULL, 0, FALSE);
      reported_down = TRUE;
      pause_ms (self, 200);
    }

  if (have_context)
    {
      g_mutex_lock (&self->mutex);
      self->pcsc_valid = FALSE;
      g_mutex_unlock (&self->mutex);
      SCardReleaseContext (pcsc);
    }
  return NULL;
}

void
porteur_token_monitor_start (PorteurTokenMonitor *self)
{
  g_return_if_fail (PORTEUR_IS_TOKEN_MONITOR (self));

  if (self->thread)
    return;
  g_atomic_int_set (&self->stop, 0);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  self->thread = g_thread_new ("porteur-token-monitor", monitor_thread, self);
}

void
porteur_token_monitor_stop (PorteurTokenMonitor *self)
{
  g_return_if_fail (PORTEUR_IS_TOKEN_MONITOR (self));

  if (!self->thread)
    return;
  g_atomic_int_set (&self->stop, 1);
  g_mutex_lock (&self->mutex);
  g_cond_broadcast (&self->cond);
  if (self->pcsc_valid)
    SCardCancel (self->pcsc);   /* may miss: the 1 s timeout and the flag end the wait anyway */
  g_mutex_unlock (&self->mutex);
  g_thread_join (self->thread);
  self->thread = NULL;
}

gboolean
porteur_token_monitor_get_service_available (PorteurTokenMonitor *self)
{
  return self->service_available;
}

GStrv
porteur_token_monitor_dup_readers (PorteurTokenMonitor *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->readers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (GPOINTER_TO_INT (value))
      g_strv_builder_add (builder, key);
  return g_strv_builder_end (builder);
}

static void
porteur_token_monitor_dispose (GObject *object)
{
  porteur_token_monitor_stop (PORTEUR_TOKEN_MONITOR (object));
  G_OBJECT_CLASS (porteur_token_monitor_parent_class)->dispose (object);
}

static void
porteur_token_monitor_finalize (GObject *object)
{
  PorteurTokenMonitor *self = PORTEUR_TOKEN_MONITOR (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->readers, g_hash_table_unref);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (porteur_token_monitor_parent_class)->finalize (object);
}

static void
porteur_token_monitor_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  PorteurTokenMonitor *self = PORTEUR_TOKEN_MONITOR (object);

  switch (prop_id)
    {
    case PROP_SERVICE_AVAILABLE:
      g_value_set_boolean (value, self->service_available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_token_monitor_class_init (PorteurTokenMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = porteur_token_monitor_dispose;
  object_class->finalize = porteur_token_monitor_finalize;
  object_class->get_property = porteur_token_monitor_get_property;

  properties[PROP_SERVICE_AVAILABLE] =
    g_param_spec_boolean ("service-available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[READER_ADDED] = g_signal_new ("reader-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[READER_REMOVED] = g_signal_new ("reader-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[TOKEN_INSERTED] = g_signal_new ("token-inserted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BYTES);
  signals[TOKEN_REMOVED] = g_signal_new ("token-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
porteur_token_monitor_init (PorteurTokenMonitor *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->readers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

PorteurTokenMonitor *
porteur_token_monitor_new (void)
{
  return g_object_new (PORTEUR_TYPE_TOKEN_MONITOR, NULL);
}
