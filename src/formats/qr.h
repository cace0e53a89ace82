/* A QR code's modules as JSON, for the portal to draw as SVG elements
 * (no markup from the server, no image library in the page): what an
 * authenticator app scans to take a second factor's key. */
#ifndef PHR_QR_H
#define PHR_QR_H

#include "util/buf.h"

/* Appends {"size":N,"rows":["0110…",…]} ('1' dark) for text, error
 * correction level M. PHR_EINVAL if text does not fit a QR code. */
int qr_json(const char *text, struct buf *out);

#endif
