/* error.c -- filling an ss_error (see include/snapsim/error.h). */
#include <stdarg.h>
#include <stdio.h>

#include "snapsim/error.h"

int ss_error_set(ss_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
