#include "common/core/error.h"

#include <string.h>

const char *sky_strerror(int err)
{
    if (err >= 0)
        return "success";
    /* strerror() is not thread-safe in general; glibc's strerrordesc_np is, but is not C11.
     * The few codes we produce are listed here; anything else falls back to a generic text. */
    switch (-(long long)err) { /* widened: -INT_MIN does not fit in an int */
    case EINVAL: return "invalid argument";
    case ENOMEM: return "out of memory";
    case EAGAIN: return "try again";
    case ENOENT: return "no such file or directory";
    case EIO: return "input/output error";
    case ENOSYS: return "not supported";
    case ENODEV: return "no such device";
    case ERANGE: return "value out of range";
    case EPROTO: return "protocol error";
    case EBADMSG: return "malformed data";
    case ETIMEDOUT: return "timed out";
    case ECANCELED: return "cancelled";
    case EPIPE: return "closed";
    case EEXIST: return "already exists";
    case EACCES: return "permission denied";
    case E2BIG: return "too large";
    case EOVERFLOW: return "overflow";
    case ESHUTDOWN: return "aborted";
    case ECONNREFUSED: return "connection refused";
    case EHOSTUNREACH: return "host unreachable";
    case EKEYREJECTED: return "certificate rejected";
    case ENOTDIR: return "not a directory";
    case ENAMETOOLONG: return "name too long";
    case EPERM: return "operation not permitted";
    case EBUSY: return "busy";
    default: return "error";
    }
}
