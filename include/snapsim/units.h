/*
 * units.h -- sizes, durations and rates as scenarios write them (SPEC §3).
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
 */
#ifndef SNAPSIM_UNITS_H
#define SNAPSIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "snapsim/engine.h"

int ss_parse_size(const char *s, uint64_t *bytes, char *why, size_t whylen);
int ss_parse_duration(const char *s, ss_time *ns, char *why, size_t whylen);
int ss_parse_rate(const char *s, double *bytes_per_s, char *why, size_t whylen);

/* Human-readable forms for messages and summaries ("15 GB", "1h30m"). */
void ss_format_size(uint64_t bytes, char *buf, size_t len);
void ss_format_duration(ss_time ns, char *buf, size_t len);

#endif
