/*
 * units.h -- sizes, durations and rates as scenarios write them.
 *
 * Sizes: B KB MB GB TB and KiB MiB GiB TiB, all binary (1 GB = 2^30 B, as
 * VMware writes them); a number may have a fraction ("1.5 TiB") and a space
 * before the unit; the result is rounded to the nearest byte.
 * Durations: ns us ms s m h d w, and sums of them ("1h30m"); a bare number
 * in a string is seconds.  Rates: a size followed by "/s" ("100MB/s").
 * Negative values, unknown units, empty strings, trailing garbage and
 * values that overflow are errors.  On error the functions return
 * SS_ERR_INPUT and write into `why` a phrase such as
 * `unknown unit "GX" (expected B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`.
 *
 * The grammar in detail:
 *   number   = digits [ "." digits ] | "." digits     (plain decimal: no sign,
 *              no exponent, no hex, no nan/inf; each of those gets its own
 *              error phrase, e.g. "negative values are not allowed")
 *   size     = ws number ws [ unit ] ws               (no unit = bytes)
 *   rate     = ws number ws [ unit ] ws "/" ws "s" ws (only per second)
 *   duration = ws number ws                           (a lone number = seconds)
 *            | ws term { ws term } ws,  term = number ws dunit
 *   unit     = B KB MB GB TB KiB MiB GiB TiB           (case-sensitive)
 *   dunit    = ns us ms s m h d w                      (case-sensitive; m = minute)
 *   ws       = any run of ASCII blanks, possibly empty.
 * Units are case-sensitive so that no reader has to wonder whether "Mb" is
 * megabits or "M" months; a size unit that is only wrong in case gets the
 * hint `units are case-sensitive: did you mean "GB"?`.  There are no
 * shorthands ("G", "K") and no PB: the language has exactly these units.
 * Duration terms may come in any order and repeat; they are summed.
 *
 * Arithmetic is exact: the integer and fraction digits are scaled
 * separately in 64-bit integers, so "1.5 TiB" is exactly 1649267441664 B and
 * "1.5h" exactly 5400e9 ns; any number of fraction digits is honoured, and
 * the result is rounded to the nearest byte (nanosecond, per duration term)
 * with halves rounded up.  Limits: INT64_MAX bytes (`too large (more than
 * 8 EiB)`) and INT64_MAX ns (`too large (more than 292 years)`).
 *
 * `why` (whylen bytes, may be NULL/0) gets a short phrase meant to follow
 * `field X: expected a size like "30GB", found "...": `; it holds no
 * newline and no capital letter at the start.  The result is written only
 * on success.  A NULL string is SS_ERR_USAGE.
 */
#ifndef SNAPSIM_UNITS_H
#define SNAPSIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "snapsim/engine.h"

int ss_parse_size(const char *s, uint64_t *bytes, char *why, size_t whylen);
int ss_parse_duration(const char *s, ss_time *ns, char *why, size_t whylen);
/* The size, rounded to whole bytes, per second, as a double (exact up to
 * 2^53 B/s). */
int ss_parse_rate(const char *s, double *bytes_per_s, char *why, size_t whylen);

/* Human-readable forms for messages and summaries ("15 GB", "1h30m").
 * Sizes use the largest of B KB MB GB TB (binary) that keeps the number at
 * least 1, with up to two decimals, trailing zeros trimmed: "1.5 TB",
 * "512 B", "1023.5 KB"; so parsing the text back is within half a hundredth
 * of the unit, and exact when the size is a multiple of a hundredth of it.
 * Durations are exact and parse back to the same value: whole days, hours
 * and minutes, then seconds with the fraction in decimal ("1h30m",
 * "7d", "2m1.5s", "0s"); under a second, the largest of ms us ns with a
 * decimal fraction ("250ms", "1.5us").  Negative durations get a "-".
 * The text is truncated to fit `len` (always NUL-terminated if len > 0). */
void ss_format_size(uint64_t bytes, char *buf, size_t len);
void ss_format_duration(ss_time ns, char *buf, size_t len);
/* A duration as people write it: from a minute up, whole seconds with
 * every unit after the first ("1h0m55s", "2d0h0m5s"); below, seconds
 * with one decimal ("12.4s", "0.3s"); 0 is "0s".  Rounded to nearest. */
void ss_format_duration_human(double seconds, char *buf, size_t len);

#endif
