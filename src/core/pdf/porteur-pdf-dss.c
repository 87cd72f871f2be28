/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "porteur-pdf.h"
#include "porteur-pdf-private.h"

/*
 * The document security store (PAdES, ISO 32000-2 §12.8.4.3): the catalog's /DSS dictionary with
 * /Certs, /CRLs and /OCSPs arrays of streams, and /VRI dictionaries per signature that point at
 * the same kind of streams. We read what a verifier needs offline: the DER of each certificate,
 * CRL and OCSP response. Objects are found by their newest "N G obj" definition (the file is
 * indexed in one pass, only when a /DSS reference exists); streams may be plain or FlateDecode.
 * Objects inside compressed object streams are not read (the data is then simply absent). Every
 * count and size is capped: the input is untrusted.
 */

#define MAX_REFS          512
#define MAX_STREAM        (16 * 1024 * 1024)   /* decoded bytes per stream */
#define MAX_TOTAL         (64 * 1024 * 1024)   /* decoded bytes in all */
#define MAX_OBJECT_TEXT   (256 * 1024)         /* how far a dictionary may extend */

typedef struct
{
  const guint8 *data;
  gsize         length;
  GHashTable   *objects;   /* object number → offset just after "obj" of its newest definition */
  gsize         total;
} Reader;

void
porteur_pdf_dss_free (PorteurPdfDss *dss)
{
  if (dss == NULL)
    return;
  g_clear_pointer (&dss->certs, g_ptr_array_unref);
  g_clear_pointer (&dss->crls, g_ptr_array_unref);
  g_clear_pointer (&dss->ocsps, g_ptr_array_unref);
  g_free (dss);
}

/* Reads a non-negative integer of at most 10 digits at *p. */
static gboolean
read_uint (const guint8 **p,
           const guint8  *end,
           guint64       *out)
{
  const guint8 *q = *p;
  guint64 value = 0;
  int digits = 0;

  while (q < end && g_ascii_isdigit (*q))
    {
      if (++digits > 10)
        return FALSE;
      value = value * 10 + (*q++ - '0');
    }
  if (digits == 0)
    return FALSE;
  *out = value;
  *p = q;
  return TRUE;
}

static const guint8 *
skip_white (const guint8 *p,
            const guint8 *end)
{
  while (p < end && porteur_pdf_is_white (*p))
    p++;
  return p;
}

/* "N G R" at p: returns the object number, or 0. */
static guint
read_ref (const guint8 **p,
          const guint8  *end)
{
  const guint8 *q = skip_white (*p, end);
  guint64 num, gen;

  if (!read_uint (&q, end, &num) || num == 0 || num > G_MAXUINT32)
    return 0;
  q = skip_white (q, end);
  if (!read_uint (&q, end, &gen))
    return 0;
  q = skip_white (q, end);
  if (q >= end || *q != 'R' || (q + 1 < end && !porteur_pdf_is_delimiter (q[1])))
    return 0;
  *p = q + 1;
  return (guint) num;
}

/* Whether @obj (the keyword "obj" in @data) starts an object "N G obj"; its number in @out_num. */
static gboolean
object_number (const guint8 *data,
               const guint8 *end,
               const guint8 *obj,
               guint        *out_num)
{
  const guint8 *q = obj;
  guint64 num = 0, gen = 0;
  gsize digits;

  if (obj + 3 < end && !porteur_pdf_is_delimiter (obj[3]))
    return FALSE;
  /* Backwards: white, generation, white, number, then a delimiter or the file's start. */
  if (q == data || !porteur_pdf_is_white (q[-1]))
    return FALSE;
  while (q > data && porteur_pdf_is_white (q[-1]))
    q--;
  for (digits = 0; q > data && g_ascii_isdigit (q[-1]) && digits < 6; digits++)
    q--;
  if (digits == 0 || q == data || !porteur_pdf_is_white (q[-1]))
    return FALSE;
  {
    const guint8 *g = q;
    if (!read_uint (&g, end, &gen))
      return FALSE;
  }
  while (q > data && porteur_pdf_is_white (q[-1]))
    q--;
  for (digits = 0; q > data && g_ascii_isdigit (q[-1]) && digits < 10; digits++)
    q--;
  if (digits == 0 || (q > data && !porteur_pdf_is_delimiter (q[-1])))
    return FALSE;
  {
    const guint8 *n = q;
    if (!read_uint (&n, end, &num) || num == 0 || num > G_MAXUINT32)
      return FALSE;
  }
  *out_num = (guint) num;
  return TRUE;
}

/* One pass over [data, data + length): where each object's newest definition starts. */
static GHashTable *
index_objects (const guint8 *data,
               gsize         length)
{
  GHashTable *objects = g_hash_table_new (NULL, NULL);
  const guint8 *end = data + length;
  const guint8 *p = data;

  while ((p = porteur_pdf_find (p, end - p, "obj")))
    {
      guint num;

      if (object_number (data, end, p, &num))
        g_hash_table_insert (objects, GUINT_TO_POINTER (num), GSIZE_TO_POINTER ((gsize) (p + 3 - data)));
      p += 3;
    }
  return objects;
}

/* The text of object @num: from after "obj" to "endobj" (or "stream"), bounded. */
static gboolean
object_text (Reader        *reader,
             guint          num,
             const guint8 **out_start,
             const guint8 **out_end)
{
  gpointer value;
  const guint8 *start, *limit, *stop, *stream;
  gsize offset;

  if (!g_hash_table_lookup_extended (reader->objects, GUINT_TO_POINTER (num), NULL, &value))
    return FALSE;
  offset = GPOINTER_TO_SIZE (value);
  start = reader->data + offset;
  limit = reader->data + MIN (reader->length, offset + MAX_OBJECT_TEXT);
  stop = porteur_pdf_find (start, limit - start, "endobj");
  stream = porteur_pdf_find (start, (stop ? stop : limit) - start, "stream");
  if (stream)
    stop = stream;
  if (stop == NULL)
    return FALSE;
  *out_start = start;
  *out_end = stop;
  return TRUE;
}

/* An integer object (an indirect /Length). */
static gboolean
object_integer (Reader  *reader,
                guint    num,
                guint64 *out)
{
  const guint8 *start, *end;

  if (!object_text (reader, num, &start, &end))
    return FALSE;
  start = skip_white (start, end);
  return read_uint (&start, end, out);
}

/* The value of /Key in [start, end): the position just after the key, or NULL. */
static const guint8 *
key_value (const guint8 *start,
           const guint8 *end,
           const char   *key)
{
  const guint8 *p = start;
  gsize n = strlen (key);

  while (p < end && (p = porteur_pdf_find (p, end - p, key)))
    {
      p += n;
      if (p >= end || porteur_pdf_is_delimiter (*p))
        return skip_white (p, end);
    }
  return NULL;
}

static GBytes *
inflate (const guint8 *data,
         gsize         length,
         gsize         budget)
{
  g_autoptr(GConverter) converter = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB));
  GByteArray *out = g_byte_array_new ();
  gsize read_total = 0;

  for (;;)
    {
      guint8 buffer[16384];
      gsize bytes_read = 0, bytes_written = 0;
      GConverterResult result;

      result = g_converter_convert (converter, data + read_total, length - read_total, buffer, sizeof buffer,
                                    G_CONVERTER_INPUT_AT_END, &bytes_read, &bytes_written, NULL);
      if (result == G_CONVERTER_ERROR || out->len + bytes_written > MIN (budget, MAX_STREAM))
        {
          g_byte_array_unref (out);
          return NULL;
        }
      read_total += bytes_read;
      g_byte_array_append (out, buffer, bytes_written);
      if (result == G_CONVERTER_FINISHED)
        break;
      if (bytes_read == 0 && bytes_written == 0)
        {
          g_byte_array_unref (out);
          return NULL;
        }
    }
  return g_byte_array_free_to_bytes (out);
}

/* The decoded data of stream object @num, or NULL when it cannot be read safely. */
static GBytes *
stream_data (Reader *reader,
             guint   num)
{
  const guint8 *start, *dict_end, *end = reader->data + reader->length;
  const guint8 *p, *filter;
  guint64 stream_length = 0;
  GBytes *bytes;

  if (!object_text (reader, num, &start, &dict_end))
    return NULL;
  if (dict_end + 6 > end || memcmp (dict_end, "stream", 6) != 0)
    return NULL;
  p = key_value (start, dict_end, "/Length");
  if (p == NULL)
    return NULL;
  {
    const guint8 *q = p;
    guint ref = read_ref (&q, dict_end);

    if (ref ? !object_integer (reader, ref, &stream_length) : !read_uint (&p, dict_end, &stream_length))
      return NULL;
  }
  p = dict_end + 6;
  if (p < end && *p == '\r')
    p++;
  if (p >= end || *p != '\n')
    return NULL;
  p++;
  if (stream_length > (guint64) (end - p) || stream_length > MAX_STREAM)
    return NULL;

  if (key_value (start, dict_end, "/DecodeParms"))
    return NULL;   /* predictors are not used for this data */
  filter = key_value (start, dict_end, "/Filter");
  if (filter == NULL)
    {
      if (reader->total + stream_length > MAX_TOTAL)
        return NULL;
      bytes = g_bytes_new (p, stream_length);
    }
  else
    {
      if (filter < dict_end && *filter == '[')
        filter = skip_white (filter + 1, dict_end);
      if ((gsize) (dict_end - filter) < 12 || memcmp (filter, "/FlateDecode", 12) != 0 ||
          (filter + 12 < dict_end && !porteur_pdf_is_delimiter (filter[12])))
        return NULL;
      {
        const guint8 *after = skip_white (filter + 12, dict_end);
        if (after < dict_end && *after == '/')
          return NULL;   /* a chain of filters */
      }
      bytes = inflate (p, stream_length, MAX_TOTAL - reader->total);
      if (bytes == NULL)
        return NULL;
    }
  reader->total += g_bytes_get_size (bytes);
  return bytes;
}

/* Every "N G R" in the array that follows /Key (each occurrence) in [start, end). */
static void
collect_array (const guint8 *start,
               const guint8 *end,
               const char   *key,
               GArray       *refs)
{
  const guint8 *p = start;
  gsize n = strlen (key);

  while (p < end && (p = porteur_pdf_find (p, end - p, key)))
    {
      p += n;
      if (p < end && !porteur_pdf_is_delimiter (*p))
        continue;
      p = skip_white (p, end);
      if (p >= end || *p != '[')
        continue;
      for (p++; p < end && *p != ']' && refs->len < MAX_REFS;)
        {
          guint ref = read_ref (&p, end);

          if (ref == 0)
            break;
          g_array_append_val (refs, ref);
        }
    }
}

static void
add_streams (Reader    *reader,
             GArray    *refs,
             GPtrArray *out)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < refs->len; i++)
    {
      guint num = g_array_index (refs, guint, i);
      GBytes *bytes;

      if (!g_hash_table_add (seen, GUINT_TO_POINTER (num)))
        continue;
      if ((bytes = stream_data (reader, num)))
        g_ptr_array_add (out, bytes);
    }
}

/* The newest catalog's /DSS reference: the last "/DSS N G R" of the file. */
static guint
find_dss_ref (const guint8 *data,
              gsize         length)
{
  const guint8 *end = data + length;
  const guint8 *p = data;
  guint ref = 0;

  while ((p = porteur_pdf_find (p, end - p, "/DSS")))
    {
      const guint8 *q = p + 4;
      guint r;

      p = q;
      if (q < end && !porteur_pdf_is_delimiter (*q))
        continue;
      if ((r = read_ref (&q, MIN (end, q + 64))))
        ref = r;
    }
  return ref;
}

/**
 * porteur_pdf_read_dss:
 * @data: the whole file
 *
 * Returns: (transfer full) (nullable): the certificates, CRLs and OCSP responses of the document
 * security store (DER), or %NULL when the document has none.
 */
PorteurPdfDss *
porteur_pdf_read_dss (const guint8 *data,
                      gsize         length)
{
  Reader reader = { data, length, NULL, 0 };
  g_autoptr(GArray) certs = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) crls = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) ocsps = g_array_new (FALSE, FALSE, sizeof (guint));
  const guint8 *start, *end;
  PorteurPdfDss *dss;
  guint num = find_dss_ref (data, length);

  if (num == 0)
    return NULL;
  reader.objects = index_objects (data, length);
  if (!object_text (&reader, num, &start, &end))
    {
      g_hash_table_unref (reader.objects);
      return NULL;
    }

  /* The DSS's own arrays, and the VRI's (inline, or one indirect level). */
  collect_array (start, end, "/Certs", certs);
  collect_array (start, end, "/CRLs", crls);
  collect_array (start, end, "/OCSPs", ocsps);
  collect_array (start, end, "/Cert", certs);
  collect_array (start, end, "/CRL", crls);
  collect_array (start, end, "/OCSP", ocsps);
  {
    const guint8 *vri = key_value (start, end, "/VRI");
    const guint8 *vri_start, *vri_end;
    guint vri_num = vri ? read_ref (&vri, end) : 0;

    if (vri_num && object_text (&reader, vri_num, &vri_start, &vri_end))
      {
        collect_array (vri_start, vri_end, "/Cert", certs);
        collect_array (vri_start, vri_end, "/CRL", crls);
        collect_array (vri_start, vri_end, "/OCSP", ocsps);
      }
  }

  dss = g_new0 (PorteurPdfDss, 1);
  dss->certs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  dss->crls = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  dss->ocsps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  add_streams (&reader, certs, dss->certs);
  add_streams (&reader, crls, dss->crls);
  add_streams (&reader, ocsps, dss->ocsps);
  g_hash_table_unref (reader.objects);
  return dss;
}

/* Every name (/Foo) in [start, end) is one of @allowed, or a VRI key (40 hex digits). */
static gboolean
only_names (const guint8 *start,
            const guint8 *end,
            const char   *const *allowed)
{
  for (const guint8 *p = start; p < end; p++)
    {
      const guint8 *name;
      gsize n;
      gboolean ok = FALSE;

      if (*p == '(')
        return FALSE;   /* no strings: nothing to say in validation data */
      if (*p != '/')
        continue;
      name = ++p;
      while (p < end && !porteur_pdf_is_delimiter (*p))
        p++;
      n = p - name;
      p--;
      for (guint i = 0; allowed[i] && !ok; i++)
        ok = strlen (allowed[i]) == n && memcmp (allowed[i], name, n) == 0;
      if (!ok && n == 40)
        {
          ok = TRUE;
          for (gsize i = 0; i < n; i++)
            ok &= g_ascii_isxdigit (name[i]);
        }
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* A dictionary's text with white space made canonical, and the /DSS entry removed when asked. */
static GString *
canonical (const guint8 *start,
           const guint8 *end,
           gboolean      drop_dss)
{
  GString *out = g_string_new (NULL);
  const char *delims = "<>[]()/{}";

  for (const guint8 *p = start; p < end; p++)
    {
      if (drop_dss && *p == '/' && end - p > 4 && memcmp (p, "/DSS", 4) == 0 && porteur_pdf_is_delimiter (p[4]))
        {
          const guint8 *q = p + 4;
          if (read_ref (&q, end))
            {
              p = q - 1;
              continue;
            }
        }
      if (porteur_pdf_is_white (*p))
        {
          while (p + 1 < end && porteur_pdf_is_white (p[1]))
            p++;
          if (out->len == 0 || p + 1 >= end || strchr (delims, out->str[out->len - 1]) || strchr (delims, p[1]))
            continue;
          g_string_append_c (out, ' ');
          continue;
        }
      g_string_append_c (out, *p);
    }
  return out;
}

/**
 * porteur_pdf_classify_dss_update:
 *
 * What the updates after a signed revision ([signed_end, length)) did, when they add a DSS and no
 * later signature: validation data only if every object they define is (a) new data — a stream
 * with nothing but /Length and /Filter /FlateDecode, or a DSS/VRI dictionary — or a DSS/VRI
 * dictionary replacing one; (b) the catalog, identical to its signed version but for its /DSS
 * entry; (c) a cross-reference stream. Anything else is a change.
 */
PorteurPdfCoverage
porteur_pdf_classify_dss_update (const guint8 *data,
                                 gsize         signed_end,
                                 gsize         length)
{
  static const char *const data_names[] = { "Length", "Filter", "FlateDecode", NULL };
  static const char *const dss_names[] = { "Type", "DSS", "VRI", "Certs", "CRLs", "OCSPs", "Cert", "CRL", "OCSP", "TU", "TS", NULL };
  const guint8 *end = data + length;
  const guint8 *p = data + signed_end;
  g_autoptr(GHashTable) signed_objects = index_objects (data, signed_end);
  Reader reader = { data, signed_end, signed_objects, 0 };
  PorteurPdfCoverage coverage = PORTEUR_PDF_COVERAGE_VALIDATION_DATA;

  while (coverage == PORTEUR_PDF_COVERAGE_VALIDATION_DATA && (p = porteur_pdf_find (p, end - p, "obj")))
    {
      const guint8 *body = p + 3, *stop, *stream;
      guint num;
      gboolean existed;

      if (!object_number (data, end, p, &num))
        {
          p += 3;
          continue;
        }
      existed = g_hash_table_contains (signed_objects, GUINT_TO_POINTER (num));
      stop = porteur_pdf_find (body, end - body, "endobj");
      if (stop == NULL)
        return PORTEUR_PDF_COVERAGE_MODIFIED;
      stream = porteur_pdf_find (body, stop - body, "stream");
      if (stream)
        {
          const guint8 *endstream = porteur_pdf_find (stream, end - stream, "endstream");

          if (endstream == NULL)
            return PORTEUR_PDF_COVERAGE_MODIFIED;
          stop = porteur_pdf_find (endstream, end - endstream, "endobj");
          if (stop == NULL)
            return PORTEUR_PDF_COVERAGE_MODIFIED;
          /* New data, or the cross-reference stream. */
          if (key_value (body, stream, "/XRef") && !key_value (body, stream, "/ObjStm"))
            ;
          else if (existed || !only_names (body, stream, data_names))
            coverage = PORTEUR_PDF_COVERAGE_MODIFIED;
        }
      else if (key_value (body, stop, "/Catalog"))
        {
          const guint8 *old_start, *old_end;

          if (!existed || !object_text (&reader, num, &old_start, &old_end))
            coverage = PORTEUR_PDF_COVERAGE_MODIFIED;
          else
            {
              g_autoptr(GString) before = canonical (old_start, old_end, TRUE);
              g_autoptr(GString) after = canonical (body, stop, TRUE);

              if (!g_string_equal (before, after))
                coverage = PORTEUR_PDF_COVERAGE_MODIFIED;
            }
        }
      else
        {
          const guint8 *old_start, *old_end;

          if (!only_names (body, stop, dss_names))
            coverage = PORTEUR_PDF_COVERAGE_MODIFIED;
          else if (existed && (!object_text (&reader, num, &old_start, &old_end) || !only_names (old_start, old_end, dss_names)))
            coverage = PORTEUR_PDF_COVERAGE_MODIFIED;
        }
      p = stop + 6;
    }
  return coverage;
}
