#include "formats/qr.h"

#include <string.h>
#include <qrencode.h>

#include "util/err.h"

int qr_json(const char *text, struct buf *out)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return PHR_EINVAL;
    int err = buf_printf(out, "{\"size\":%d,\"rows\":[", q->width) ? PHR_ENOMEM : PHR_OK;
    for (int y = 0; !err && y < q->width; y++) {
        if ((y && buf_puts(out, ",")) || buf_puts(out, "\""))
            err = PHR_ENOMEM;
        for (int x = 0; !err && x < q->width; x++)
            if (buf_puts(out, q->data[y * q->width + x] & 1 ? "1" : "0"))
                err = PHR_ENOMEM;
        if (!err && buf_puts(out, "\""))
            err = PHR_ENOMEM;
    }
    if (!err && buf_puts(out, "]}"))
        err = PHR_ENOMEM;
    QRcode_free(q);
    return err;
}
