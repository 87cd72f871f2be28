/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined (__SSE2__)
#include <emmintrin.h>
#endif

#include "porteur-pdf.h"
#include "porteur-pdf-private.h"

/*
 * Our own strict reading of a PDF's signatures: every /ByteRange array, the /Contents hex string
 * that must fill exactly the hole between its two ranges, the signature dictionary's /SubFilter,
 * /M, /Name, /Reason, /Location, the revisions (%%EOF markers) and what later incremental updates
 * added. It reads untrusted bytes: every index is checked against the length, nothing is copied
 * but the CMS itself, and no input can make it loop or allocate without bound.
 */

#define MAX_CONTENTS (64 * 1024 * 1024)   /* hex characters in one /Contents */
#define DICT_WINDOW  (64 * 1024)          /* how far a signature dictionary may extend */

G_DEFINE_QUARK (porteur-pdf-error-quark, porteur_pdf_error)

/* Set while scanning a read-only file mapping: the pages already searched are handed back to the
 * kernel window by window, so that a large document is never resident whole (a page needed again
 * is read back from the file). Never set for other memory, where MADV_DONTNEED would lose data. */
static __thread gboolean release_pages;

#define WINDOW (1024 * 1024)

/* The needles the whole-file searches look for. On a mapping, one pass finds every occurrence of
 * all of them (the only bytes worth a look are '/' and '%', found 16 at a time) and later
 * searches are answered from these lists: a large document is read once by the scanner. */
static const char *const indexed_needles[] = { "%%EOF", "/ByteRange", "/Encrypt", "/DSS" };
#define N_INDEXED G_N_ELEMENTS (indexed_needles)

typedef struct
{
  const guint8 *base;
  gsize         length;
  GArray       *hits[N_INDEXED];   /* gsize offsets, ascending */
} HitIndex;

static __thread HitIndex *hit_index;

static void
release (const guint8 *start,
         gsize         length)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guintptr first = ((guintptr) start + page - 1) & ~(guintptr) (page - 1);
  guintptr last = ((guintptr) start + length) & ~(guintptr) (page - 1);

  if (last > first)
    madvise ((void *) first, last - first, MADV_DONTNEED);
}

static gboolean
is_white (guint8 c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

static gboolean
is_delimiter (guint8 c)
{
  return is_white (c) || strchr ("()<>[]{}/%", c) != NULL;
}

#define MIN_SKIP (64 * 1024)

/* At "/Length" (@p): when a stream with a direct length of at least MIN_SKIP bytes follows, and
 * "endstream" stands exactly where that length says, where its data ends; else NULL. Stream data
 * (images, fonts, attachments: what makes a document large) holds no PDF syntax, so the scan need
 * not read it; with a wrong or indirect length nothing is skipped. */
static const guint8 *
stream_data_end (const guint8 *p,
                 const guint8 *end)
{
  const guint8 *q = p + 7, *r, *keyword, *before, *data, *after;
  guint64 n = 0;
  int digits = 0;

  if ((gsize) (end - p) < 7 || memcmp (p, "/Length", 7) != 0 || q >= end || !is_delimiter (*q))
    return NULL;
  while (q < end && is_white (*q))
    q++;
  while (q < end && *q >= '0' && *q <= '9' && digits < 15)
    n = n * 10 + (*q++ - '0'), digits++;
  if (digits == 0 || n < MIN_SKIP)
    return NULL;
  for (r = q; r < end && is_white (*r); r++)
    ;
  if (r < end && *r >= '0' && *r <= '9')
    return NULL;   /* "N G R": an indirect length */
  keyword = memmem (q, MIN ((gsize) (end - q), 4096), "stream", 6);
  if (keyword == NULL)
    return NULL;
  for (before = keyword; before > q && is_white (before[-1]); before--)
    ;
  if (before - q < 2 || before[-1] != '>' || before[-2] != '>')
    return NULL;
  data = keyword + 6;
  if (data < end && *data == '\r')
    data++;
  if (data >= end || *data != '\n')
    return NULL;
  data++;
  if (n > (guint64) (end - data))
    return NULL;
  after = data + n;
  r = after;
  if (r < end && *r == '\r')
    r++;
  if (r < end && *r == '\n')
    r++;
  if ((gsize) (end - r) < 9 || memcmp (r, "endstream", 9) != 0)
    return NULL;
  return after;
}

/* @p is a '/' or a '%': which needle, if any, starts there. Random data offers one candidate
 * every 128 bytes, so the second byte decides before any comparison. Returns where the scan
 * continues. */
static inline const guint8 *
index_candidate (HitIndex     *index,
                 const guint8 *p,
                 const guint8 *end)
{
  guint i;
  gsize n;

  if (end - p < 4)
    return p + 1;
  switch (p[1])
    {
    case '%': i = 0; n = 5; break;    /* %%EOF */
    case 'B': i = 1; n = 10; break;   /* /ByteRange */
    case 'E': i = 2; n = 8; break;    /* /Encrypt */
    case 'D': i = 3; n = 4; break;    /* /DSS */
    case 'L':
      {
        const guint8 *skip = p[0] == '/' ? stream_data_end (p, end) : NULL;
        return skip ? skip : p + 1;
      }
    default: return p + 1;
    }
  if (p[0] == (guint8) indexed_needles[i][0] && (gsize) (end - p) >= n && memcmp (p, indexed_needles[i], n) == 0)
    {
      gsize offset = p - index->base;
      g_array_append_val (index->hits[i], offset);
    }
  return p + 1;
}

static HitIndex *
hit_index_new (const guint8 *data,
               gsize         length)
{
  HitIndex *index = g_new0 (HitIndex, 1);
  const guint8 *end = data + length;
  const guint8 *p = data;

  index->base = data;
  index->length = length;
  for (guint i = 0; i < N_INDEXED; i++)
    index->hits[i] = g_array_new (FALSE, FALSE, sizeof (gsize));

  while (p < end)
    {
      const guint8 *start = p;
      const guint8 *stop = MIN (end, p + WINDOW);
      const guint8 *next = NULL;
#if defined (__SSE2__)
      const __m128i slash = _mm_set1_epi8 ('/');
      const __m128i percent = _mm_set1_epi8 ('%');

      while (p + 16 <= stop && next == NULL)
        {
          __m128i v = _mm_loadu_si128 ((const __m128i *) p);
          unsigned mask = (unsigned) _mm_movemask_epi8 (_mm_or_si128 (_mm_cmpeq_epi8 (v, slash), _mm_cmpeq_epi8 (v, percent)));

          while (mask)
            {
              const guint8 *candidate = p + __builtin_ctz (mask);
              const guint8 *resume = index_candidate (index, candidate, end);

              mask &= mask - 1;
              if (resume > candidate + 1)
                {
                  next = resume;   /* a stream's data skipped */
                  break;
                }
            }
          if (next == NULL)
            p += 16;
        }
#endif
      while (p < stop && next == NULL)
        {
          if (*p == '/' || *p == '%')
            {
              const guint8 *resume = index_candidate (index, p, end);
              if (resume > p + 1)
                {
                  next = resume;
                  break;
                }
            }
          p++;
        }
      release (start, (next ? MIN (next, stop) : stop) - start);
      p = next ? next : stop;
    }
  return index;
}

static void
hit_index_free (HitIndex *index)
{
  for (guint i = 0; i < N_INDEXED; i++)
    g_array_unref (index->hits[i]);
  g_free (index);
}

/* The first indexed occurrence of needle @i inside [haystack, haystack + length). */
static const guint8 *
hit_index_find (HitIndex     *index,
                guint         i,
                const guint8 *haystack,
                gsize         length)
{
  GArray *hits = index->hits[i];
  gsize from = haystack - index->base;
  gsize n = strlen (indexed_needles[i]);
  guint low = 0, high = hits->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;
      if (g_array_index (hits, gsize, middle) < from)
        low = middle + 1;
      else
        high = middle;
    }
  if (low < hits->len && g_array_index (hits, gsize, low) + n <= from + length)
    return index->base + g_array_index (hits, gsize, low);
  return NULL;
}

static const guint8 *
find (const guint8 *haystack,
      gsize         length,
      const char   *needle)
{
  gsize n = strlen (needle);

  if (hit_index && haystack >= hit_index->base && haystack + length <= hit_index->base + hit_index->length)
    for (guint i = 0; i < N_INDEXED; i++)
      if (strcmp (needle, indexed_needles[i]) == 0)
        return hit_index_find (hit_index, i, haystack, length);

  if (!release_pages || length <= WINDOW)
    return memmem (haystack, length, needle, n);

  for (gsize offset = 0; offset < length; offset += WINDOW)
    {
      gsize size = MIN (WINDOW + n - 1, length - offset);
      const guint8 *hit = memmem (haystack + offset, size, needle, n);

      if (hit)
        return hit;
      release (haystack + offset, MIN (WINDOW, length - offset));
    }
  return NULL;
}

/**
 * porteur_pdf_scan_mapped_file:
 *
 * porteur_pdf_scan_signatures() for a read-only file mapping, releasing pages as it goes; also says
 * whether the file is encrypted and, when it is signed, reads its DSS (porteur_pdf_read_dss()).
 */
GPtrArray *
porteur_pdf_scan_mapped_file (const guint8   *data,
                              gsize           length,
                              guint          *out_n_revisions,
                              gboolean       *out_encrypted,
                              PorteurPdfDss **out_dss)
{
  GPtrArray *signatures;

  release_pages = TRUE;
  posix_madvise ((void *) data, length, POSIX_MADV_SEQUENTIAL);
  hit_index = hit_index_new (data, length);
  signatures = porteur_pdf_scan_signatures (data, length, out_n_revisions);
  *out_encrypted = find (data, length, "/Encrypt") != NULL;
  *out_dss = signatures->len > 0 ? porteur_pdf_read_dss (data, length) : NULL;
  g_clear_pointer (&hit_index, hit_index_free);
  release_pages = FALSE;
  return signatures;
}

static const guint8 *
rfind (const guint8 *haystack,
       gsize         length,
       const char   *needle)
{
  gsize n = strlen (needle);

  if (length < n)
    return NULL;
  for (gsize i = length - n + 1; i-- > 0;)
    {
      if (memcmp (haystack + i, needle, n) == 0)
        return haystack + i;
    }
  return NULL;
}


const guint8 *
porteur_pdf_find (const guint8 *haystack,
                  gsize         length,
                  const char   *needle)
{
  return find (haystack, length, needle);
}

gboolean
porteur_pdf_is_white (guint8 c)
{
  return is_white (c);
}

gboolean
porteur_pdf_is_delimiter (guint8 c)
{
  return is_delimiter (c);
}

static int
hex_value (guint8 c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parses "[ a b c d ]" at @p: four non-negative integers of at most 15 digits. */
static gboolean
parse_byte_range (const guint8 *p,
                  const guint8 *end,
                  gint64        out[4])
{
  while (p < end && is_white (*p))
    p++;
  if (p >= end || *p != '[')
    return FALSE;
  p++;
  for (int i = 0; i < 4; i++)
    {
      gint64 value = 0;
      int digits = 0;

      while (p < end && is_white (*p))
        p++;
      while (p < end && *p >= '0' && *p <= '9')
        {
          if (++digits > 15)
            return FALSE;
          value = value * 10 + (*p - '0');
          p++;
        }
      if (digits == 0)
        return FALSE;
      out[i] = value;
    }
  while (p < end && is_white (*p))
    p++;
  return p < end && *p == ']';
}

/* The value after @key in [start, end): a name (/Foo) or a literal string ((…), simple escapes). */
static char *
dict_value (const guint8 *start,
            const guint8 *end,
            const char   *key)
{
  gsize key_length = strlen (key);
  const guint8 *p = start;

  while (p < end && (p = find (p, end - p, key)))
    {
      const guint8 *q = p + key_length;

      if (q < end && !is_delimiter (*q))
        {
          p = q;
          continue;
        }
      while (q < end && is_white (*q))
        q++;
      if (q < end && *q == '/')
        {
          const guint8 *name = ++q;
          while (q < end && !is_delimiter (*q))
            q++;
          return g_utf8_make_valid ((const char *) name, q - name);
        }
      if (q < end && *q == '(')
        {
          GString *value = g_string_new (NULL);
          int depth = 1;

          for (q++; q < end && depth > 0 && value->len < 4096; q++)
            {
              if (*q == '\\' && q + 1 < end)
                {
                  q++;
                  switch (*q)
                    {
                    case 'n': g_string_append_c (value, '\n'); break;
                    case 'r': g_string_append_c (value, '\r'); break;
                    case 't': g_string_append_c (value, '\t'); break;
                    default:
                      if (*q >= '0' && *q <= '7')
                        {
                          int code = 0, n = 0;
                          while (n < 3 && q < end && *q >= '0' && *q <= '7')
                            code = code * 8 + (*q++ - '0'), n++;
                          q--;
                          g_string_append_c (value, (char) code);
                        }
                      else
                        g_string_append_c (value, *q);
                    }
                  continue;
                }
              if (*q == '(')
                depth++;
              else if (*q == ')' && --depth == 0)
                break;
              g_string_append_c (value, *q);
            }
          /* UTF-16BE with a BOM, as PDF text strings may be. */
          if (value->len >= 2 && (guint8) value->str[0] == 0xFE && (guint8) value->str[1] == 0xFF)
            {
              char *utf8 = g_convert (value->str + 2, value->len - 2, "UTF-8", "UTF-16BE", NULL, NULL, NULL);
              g_string_free (value, TRUE);
              return utf8 ? utf8 : g_strdup ("");
            }
          {
            char *result = g_utf8_make_valid (value->str, value->len);
            g_string_free (value, TRUE);
            return result;
          }
        }
      return g_strdup ("");
    }
  return g_strdup ("");
}

/* PDF dates: D:YYYYMMDDHHmmSSOHH'mm' with every part after the year optional. */
static GDateTime *
parse_pdf_date (const char *text)
{
  int parts[6] = { 0, 1, 1, 0, 0, 0 };
  const int widths[6] = { 4, 2, 2, 2, 2, 2 };
  const char *p = text;
  g_autoptr(GTimeZone) zone = NULL;

  if (g_str_has_prefix (p, "D:"))
    p += 2;
  for (int i = 0; i < 6; i++)
    {
      if (!g_ascii_isdigit (p[0]))
        {
          if (i == 0)
            return NULL;
          break;
        }
      parts[i] = 0;
      for (int j = 0; j < widths[i]; j++)
        {
          if (!g_ascii_isdigit (p[j]))
            return NULL;
          parts[i] = parts[i] * 10 + (p[j] - '0');
        }
      p += widths[i];
    }
  if ((*p == '+' || *p == '-') && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2]))
    {
      char offset[8] = { p[0], p[1], p[2], ':', '0', '0', 0 };
      if (p[3] == '\'' && g_ascii_isdigit (p[4]) && g_ascii_isdigit (p[5]))
        offset[4] = p[4], offset[5] = p[5];
      zone = g_time_zone_new_identifier (offset);
    }
  if (zone == NULL)
    zone = g_time_zone_new_utc ();
  return g_date_time_new (zone, parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
}

void
porteur_pdf_signature_free (PorteurPdfSignature *signature)
{
  if (signature == NULL)
    return;
  g_free (signature->sub_filter);
  g_free (signature->digest_name);
  g_free (signature->signer_name);
  g_free (signature->reason);
  g_free (signature->location);
  g_clear_pointer (&signature->claimed_time, g_date_time_unref);
  g_clear_pointer (&signature->timestamp_time, g_date_time_unref);
  g_clear_pointer (&signature->signer, porteur_cert_info_free);
  g_clear_pointer (&signature->chain, g_ptr_array_unref);
  g_clear_pointer (&signature->revocation, porteur_revocation_free);
  g_free (signature->detail);
  g_clear_pointer (&signature->contents, g_bytes_unref);
  g_free (signature);
}

static void
set_problem (PorteurPdfSignature *signature,
             PorteurPdfProblem    problem,
             const char          *detail)
{
  signature->problems |= problem;
  if (signature->detail == NULL)
    signature->detail = g_strdup (detail);
}

/* Decodes the hole between the ranges: '<' hex… '>' filling it exactly. The DER length in the
 * CMS header decides where the zero padding starts. */
static void
read_contents (PorteurPdfSignature *signature,
               const guint8        *data,
               gsize                length)
{
  gint64 start = signature->byte_range[0] + signature->byte_range[1];
  gint64 end = signature->byte_range[2];
  gsize n_hex;
  g_autofree guint8 *der = NULL;
  gsize der_length = 0, needed;

  if (data[start] != '<' || data[end - 1] != '>')
    {
      set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents does not fill the hole between the signed ranges");
      return;
    }
  n_hex = end - start - 2;
  if (n_hex > MAX_CONTENTS)
    {
      set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents is implausibly large");
      return;
    }
  if (n_hex % 2 != 0)
    {
      set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents has an odd number of hex digits");
      return;
    }
  der = g_malloc (n_hex / 2 + 1);
  for (gsize i = 0; i < n_hex; i += 2)
    {
      int hi = hex_value (data[start + 1 + i]);
      int lo = hex_value (data[start + 2 + i]);

      if (hi < 0 || lo < 0)
        {
          set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents is not a hex string");
          return;
        }
      der[der_length++] = (guint8) (hi << 4 | lo);
    }

  /* SEQUENCE with a definite length: cut the zero padding after it. */
  if (der_length < 2 || der[0] != 0x30)
    {
      set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents does not hold a CMS structure");
      return;
    }
  if (der[1] < 0x80)
    needed = 2 + der[1];
  else if (der[1] == 0x80)
    needed = der_length;   /* BER indefinite length (NSS writes it): the parser finds the end */
  else
    {
      guint n = der[1] & 0x7f;
      gsize value = 0;

      if (n == 0 || n > 4 || der_length < 2 + n)
        {
          set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents holds a CMS structure of indefinite or impossible length");
          return;
        }
      for (guint i = 0; i < n; i++)
        value = (value << 8) | der[2 + i];
      needed = 2 + n + value;
    }
  if (needed > der_length)
    {
      set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents is shorter than the CMS structure it starts");
      return;
    }
  /* Only zero padding may follow a definite-length structure: anything else would be unsigned
   * bytes hidden in the hole. */
  for (gsize i = needed; i < der_length; i++)
    if (der[i] != 0)
      {
        set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents has data after the CMS structure");
        return;
      }
  signature->contents = g_bytes_new (der, needed);
}

/* Where each revision ends: after each %%EOF marker and its end-of-line. */
static GArray *
find_revisions (const guint8 *data,
                gsize         length)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (gint64));
  const guint8 *p = data;

  while ((p = find (p, data + length - p, "%%EOF")))
    {
      gint64 end = p - data + 5;

      if (end < (gint64) length && data[end] == '\r')
        end++;
      if (end < (gint64) length && data[end] == '\n')
        end++;
      g_array_append_val (ends, end);
      p += 5;
    }
  return ends;
}

static gboolean
has_token (const guint8 *start,
           gsize         length,
           const char   *token)
{
  const guint8 *p = start;
  gsize n = strlen (token);

  while ((p = find (p, start + length - p, token)))
    {
      if (p + n >= start + length || is_delimiter (p[n]))
        return TRUE;
      p += n;
    }
  return FALSE;
}

/* What an incremental update added after a signed revision. Conservative: anything that is not
 * a later signature (its dictionary, field, widget appearance, the page's /Annots), validation
 * data (DSS) or cross-reference data counts as a change. */
static PorteurPdfCoverage
classify_update (const guint8 *data,
                 gsize         signed_end,
                 gsize         file_length)
{
  const guint8 *start = data + signed_end;
  gsize length = file_length - signed_end;
  gboolean later_signature = find (start, length, "/ByteRange") != NULL;
  gboolean dss = find (start, length, "/DSS") != NULL;
  const guint8 *p = start;
  const guint8 *end = start + length;

  if (has_token (start, length, "/ObjStm"))
    return PORTEUR_PDF_COVERAGE_MODIFIED;   /* compressed objects we do not inspect */
  /* Validation data alone: every object it defines is checked (porteur-pdf-dss.c). */
  if (dss && !later_signature)
    return porteur_pdf_classify_dss_update (data, signed_end, file_length);

  while ((p = find (p, end - p, "stream")))
    {
      const guint8 *dict_end = p;
      const guint8 *dict_start;
      gsize dict_length;

      /* Skip "endstream" and the keyword inside longer words. */
      if ((p > start && !is_delimiter (p[-1])) || (p + 6 < end && !is_delimiter (p[6])))
        {
          p += 6;
          continue;
        }
      dict_start = rfind (start, dict_end - start, "obj");
      if (dict_start == NULL)
        return PORTEUR_PDF_COVERAGE_MODIFIED;
      dict_length = dict_end - dict_start;
      if (has_token (dict_start, dict_length, "/XRef"))
        ;
      else if (later_signature && has_token (dict_start, dict_length, "/Form"))
        ;
      else if (dss && !has_token (dict_start, dict_length, "/Subtype") && !has_token (dict_start, dict_length, "/Resources"))
        ;
      else
        return PORTEUR_PDF_COVERAGE_MODIFIED;
      p += 6;
    }

  if (!later_signature && has_token (start, length, "/Page"))
    return PORTEUR_PDF_COVERAGE_MODIFIED;
  if (has_token (start, length, "/ObjStm"))
    return PORTEUR_PDF_COVERAGE_MODIFIED;   /* compressed objects we do not inspect */
  if (later_signature)
    return PORTEUR_PDF_COVERAGE_LATER_SIGNATURES;
  if (dss)
    return PORTEUR_PDF_COVERAGE_VALIDATION_DATA;
  if (find (start, length, " obj") || find (start, length, "\nobj"))
    return PORTEUR_PDF_COVERAGE_MODIFIED;
  return PORTEUR_PDF_COVERAGE_WHOLE;       /* only whitespace, xref or trailer */
}

/**
 * porteur_pdf_scan_signatures:
 * @data: the whole file
 * @out_n_revisions: (out) (optional): the number of revisions (%%EOF markers)
 *
 * Returns: (transfer full): the signatures found, in file order, with their byte ranges,
 * dictionary values, CMS bytes, revision and coverage; problems found while reading are set on
 * each signature (never an error: a malformed signature is a finding about the document).
 */
GPtrArray *
porteur_pdf_scan_signatures (const guint8 *data,
                             gsize         length,
                             guint        *out_n_revisions)
{
  GPtrArray *signatures = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_pdf_signature_free);
  g_autoptr(GArray) revisions = find_revisions (data, length);
  const guint8 *p = data;
  const guint8 *end = data + length;

  if (out_n_revisions)
    *out_n_revisions = revisions->len;

  while ((p = find (p, end - p, "/ByteRange")))
    {
      PorteurPdfSignature *signature;
      gint64 range[4];
      const guint8 *key = p;
      const guint8 *dict_start, *dict_end, *object;
      gboolean duplicate = FALSE;

      p += strlen ("/ByteRange");
      if (p < end && !is_delimiter (*p))
        continue;

      signature = g_new0 (PorteurPdfSignature, 1);
      signature->chain = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_cert_info_free);
      signature->chain_status = PORTEUR_CHAIN_INVALID;
      signature->chain_status_now = PORTEUR_CHAIN_INVALID;

      if (!parse_byte_range (p, MIN (end, p + 256), range))
        {
          set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/ByteRange is not an array of four integers");
          memset (signature->byte_range, 0, sizeof signature->byte_range);
        }
      else
        {
          memcpy (signature->byte_range, range, sizeof range);
          if (range[0] != 0 || range[1] <= 0 || range[2] <= range[0] + range[1] + 1 || range[3] < 0 ||
              range[2] > (gint64) length || range[3] > (gint64) length - range[2])
            set_problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/ByteRange is out of the file's bounds, overlapping or does not start the file");
        }

      /* The same byte range met again (an object repeated by an incremental update). */
      for (guint i = 0; i < signatures->len; i++)
        {
          PorteurPdfSignature *other = g_ptr_array_index (signatures, i);
          duplicate |= memcmp (other->byte_range, signature->byte_range, sizeof range) == 0 &&
                       !(signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED);
        }
      if (duplicate)
        {
          porteur_pdf_signature_free (signature);
          continue;
        }

      /* The dictionary: from its object's start to its end, skipping the contents hole. */
      object = rfind (MAX (data, key - DICT_WINDOW), key - MAX (data, key - DICT_WINDOW), " obj");
      dict_start = object ? object : MAX (data, key - 1024);
      if (!(signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED))
        {
          const guint8 *after = data + signature->byte_range[2];
          const guint8 *endobj = find (after, MIN ((gsize) (end - after), DICT_WINDOW), "endobj");
          dict_end = endobj ? endobj : MIN (end, after + 1024);
        }
      else
        dict_end = MIN (end, p + 1024);

      {
        const guint8 *hole_start = data + (signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED ? 0 : signature->byte_range[1]);
        const guint8 *before_end = (signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED) ? dict_end : MIN (hole_start, dict_end);
        g_autofree char *m = NULL;
        const char *keys[] = { "/SubFilter", "/Name", "/Reason", "/Location" };
        char **targets[] = { &signature->sub_filter, &signature->signer_name, &signature->reason, &signature->location };

        for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
          {
            *targets[i] = dict_value (dict_start, before_end, keys[i]);
            if (**targets[i] == '\0' && !(signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED))
              {
                g_free (*targets[i]);
                *targets[i] = dict_value (data + signature->byte_range[2], dict_end, keys[i]);
              }
          }
        m = dict_value (dict_start, before_end, "/M");
        if (*m == '\0' && !(signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED))
          {
            g_free (m);
            m = dict_value (data + signature->byte_range[2], dict_end, "/M");
          }
        if (*m)
          signature->claimed_time = parse_pdf_date (m);
      }
      signature->digest_name = g_strdup ("");

      if (!(signature->problems & PORTEUR_PDF_PROBLEM_MALFORMED))
        {
          gint64 signed_end = signature->byte_range[2] + signature->byte_range[3];

          read_contents (signature, data, length);
          signature->signed_length = signed_end;
          signature->revision = 1;
          for (guint i = 0; i < revisions->len; i++)
            {
              if (g_array_index (revisions, gint64, i) < signed_end)
                signature->revision = i + 2;
              else
                break;
            }
          signature->revision = MIN (signature->revision, MAX (revisions->len, 1));
          if (signed_end == (gint64) length)
            signature->coverage = PORTEUR_PDF_COVERAGE_WHOLE;
          else
            signature->coverage = classify_update (data, signed_end, length);
          if (signature->coverage == PORTEUR_PDF_COVERAGE_MODIFIED)
            set_problem (signature, PORTEUR_PDF_PROBLEM_MODIFIED_AFTER, "the document was changed after it was signed");
        }

      signature->index = signatures->len + 1;
      g_ptr_array_add (signatures, signature);
    }

  return signatures;
}
