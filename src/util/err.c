#include "util/err.h"

const char *phr_strerror(int err)
{
    switch (err) {
    case PHR_OK: return "ok";
    case PHR_ENOMEM: return "out of memory";
    case PHR_EIO: return "I/O error";
    case PHR_EINVAL: return "invalid input";
    case PHR_ENOTFOUND: return "not found";
    case PHR_ECONFLICT: return "conflict";
    case PHR_ECRYPTO: return "sealed data failed authentication";
    case PHR_EBUSY: return "busy";
    case PHR_EEXIST: return "already exists";
    case PHR_EPERM: return "permission denied";
    case PHR_EVERSION: return "written by a newer version of phr";
    case PHR_ESHUTDOWN: return "shutting down";
    }
    return "unknown error";
}
