/* Error codes shared by every module. Functions return 0 or one of these
 * (negative); no module keeps a global "last error". */
#ifndef PHR_ERR_H
#define PHR_ERR_H

enum {
    PHR_OK = 0,
    PHR_ENOMEM = -1,    /* allocation failed */
    PHR_EIO = -2,       /* file or database I/O failed */
    PHR_EINVAL = -3,    /* input refused */
    PHR_ENOTFOUND = -4, /* no such thing (or not yours: callers do not tell apart) */
    PHR_ECONFLICT = -5, /* a version or uniqueness check failed */
    PHR_ECRYPTO = -6,   /* authentication of sealed data failed */
    PHR_EBUSY = -7,     /* a bounded resource is exhausted; try later */
    PHR_EEXIST = -8,    /* refusing to overwrite */
    PHR_EPERM = -9,     /* permissions too open, or access denied */
    PHR_EVERSION = -10, /* data written by a newer program */
    PHR_ESHUTDOWN = -11 /* the service is stopping */
};

const char *phr_strerror(int err);

#endif
