/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the ByteRange/Contents/revision scanner and the CMS decoding of what it
 * extracts, the DSS reader and the DSS-update classification, on arbitrary bytes. */
#include "config.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pdf/porteur-pdf.h"
#include "pdf/porteur-pdf-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint revisions = 0;
  GPtrArray *signatures = porteur_pdf_scan_signatures (data, size, &revisions);

  for (guint i = 0; i < signatures->len; i++)
    {
      PorteurPdfSignature *signature = g_ptr_array_index (signatures, i);

      if (signature->contents)
        {
          gsize length = 0;
          const unsigned char *p = g_bytes_get_data (signature->contents, &length);
          CMS_ContentInfo *cms = d2i_CMS_ContentInfo (NULL, &p, (long) length);
          CMS_ContentInfo_free (cms);
          ERR_clear_error ();
        }
    }
  g_ptr_array_unref (signatures);

  /* The document security store and the classification of a DSS update, from every offset the
   * input could be cut at as a signed revision. */
  porteur_pdf_dss_free (porteur_pdf_read_dss (data, size));
  if (size > 0)
    (void) porteur_pdf_classify_dss_update (data, size / 2, size);

  /* The file path: one indexing pass over a read-only file mapping whose pages are handed back
   * as it goes, stream data skipped. A memfd stands for the file. */
  if (size > 0)
    {
      int fd = memfd_create ("fuzz-pdf", MFD_CLOEXEC);
      void *map = MAP_FAILED;

      if (fd >= 0 && write (fd, data, size) == (ssize_t) size)
        map = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map != MAP_FAILED)
        {
          gboolean encrypted = FALSE;
          PorteurPdfDss *dss = NULL;
          GPtrArray *mapped = porteur_pdf_scan_mapped_file (map, size, &revisions, &encrypted, &dss);

          g_ptr_array_unref (mapped);
          porteur_pdf_dss_free (dss);
          munmap (map, size);
        }
      if (fd >= 0)
        close (fd);
    }
  return 0;
}
