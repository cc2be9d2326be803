/* error.c -- filling an ss_error, and the "did you mean" hints of
 * messages (see include/snapsim/error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int ss_edit_distance(const char *a, const char *b, size_t n)
{
    size_t m = strlen(a);
    if (m > 63 || n > 63) return 3;
    int d[64][64];
    for (size_t i = 0; i <= m; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= n; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= m; i++)
        for (size_t j = 1; j <= n; j++) {
            int x = d[i - 1][j] + 1, y = d[i][j - 1] + 1, z = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            d[i][j] = x < y ? (x < z ? x : z) : (y < z ? y : z);
        }
    return d[m][n] < 3 ? d[m][n] : 3;
}

const char *ss_closest_name(const char *want, const char *const *names, int count)
{
    const char *best = NULL;
    int best_d = 3;
    for (int i = 0; i < count; i++) {
        int d = ss_edit_distance(want, names[i], strlen(names[i]));
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    if (!best) return NULL;
    size_t shorter = strlen(want) < strlen(best) ? strlen(want) : strlen(best);
    return best_d == 1 || (best_d == 2 && shorter >= 5) ? best : NULL;
}
