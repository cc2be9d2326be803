/*
 * error.h -- how libsnapsim reports failure.
 *
 * Library functions never print or exit: they return SS_OK (0) or a negative
 * code and, where a caller passed an ss_error, fill it with one line of text
 * that already names file:line and the field when it is about a scenario.
 */
#ifndef SNAPSIM_ERROR_H
#define SNAPSIM_ERROR_H

#include <stddef.h>

enum {
    SS_OK = 0,
    SS_ERR_INPUT = -1,   /* bad scenario, bad unit, unknown name, impossible action */
    SS_ERR_IO = -2,      /* a file could not be read or written */
    SS_ERR_NOMEM = -3,
    SS_ERR_USAGE = -4,   /* misuse of the API */
    SS_ERR_STOPPED = -5, /* stopped from outside (a signal): nothing is wrong with the scenario */
};

typedef struct ss_error {
    int code;
    char msg[1024];
} ss_error;

/* printf-style; safe with err == NULL.  Returns `code` so callers can
 * `return ss_error_set(err, SS_ERR_INPUT, "...")`. */
int ss_error_set(ss_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "Did you mean" hints: the Levenshtein distance of a and b[0..n) (n is
 * b's length: b need not be NUL-terminated), capped at 3, which is as far
 * as a hint is worth giving. */
int ss_edit_distance(const char *a, const char *b, size_t n);
/* The name of names[0..count) closest to want, if one is close enough to
 * be a typo of it (distance 1, or 2 for names of 5 characters or more), else
 * NULL.  On a tie the first one wins. */
const char *ss_closest_name(const char *want, const char *const *names, int count);

#endif
