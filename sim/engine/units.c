/*
 * units.c -- parsing and formatting sizes, durations and rates (units.h).
 *
 * Everything is done in 64-bit integers: a number is kept as its integer
 * part plus the undigested fraction digits, and only multiplied by the unit
 * at the end (scale()), so "1.5 TiB" or "1.5h" come out exact and a long
 * fraction cannot lose precision the way strtod-then-multiply would.
 * No locale is consulted: blanks, digits and letters are ASCII.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snapsim/error.h"
#include "snapsim/units.h"

#define NS_PER_S  UINT64_C(1000000000)
#define MAX_VALUE ((uint64_t)INT64_MAX)   /* the largest size or duration */
#define FRAG      20                      /* at most this much input is quoted back */

static int fail(char *why, size_t whylen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return SS_ERR_INPUT;
}

static int usage(char *why, size_t whylen)
{
    fail(why, whylen, "no string (NULL)");
    return SS_ERR_USAGE;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static const char *skip_ws(const char *p)
{
    while (is_ws(*p)) p++;
    return p;
}

/* End of the run of letters starting at p (a unit name). */
static const char *skip_alpha(const char *p)
{
    while (is_alpha(*p)) p++;
    return p;
}

/* A decimal number as written.  Invariant: when !big, ip is the integer
 * part exactly; big means it exceeded MAX_VALUE (then ip is meaningless,
 * and any non-zero unit makes the value too large).  frac[0..nfrac) are the
 * fraction digits, unscaled. */
struct num {
    uint64_t ip;
    int big;
    const char *frac;
    size_t nfrac;
};

/* Reads a number at *pp.  Returns 1 and advances *pp past it; 0 when *pp
 * does not start a number at all (the caller says what it found instead);
 * SS_ERR_INPUT, with `why`, for a number in a form we refuse: signed,
 * "1..5", exponent, hexadecimal. */
static int scan_number(const char **pp, struct num *n, char *why, size_t whylen)
{
    const char *p = *pp, *digits = p;

    if (*p == '-')
        return fail(why, whylen, "negative values are not allowed");
    if (*p == '+')
        return fail(why, whylen, "a sign is not allowed");
    if (!is_digit(*p) && *p != '.')
        return 0;

    n->ip = 0;
    n->big = 0;
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n->ip > (MAX_VALUE - d) / 10)
            n->big = 1;
        else
            n->ip = n->ip * 10 + d;
    }
    size_t nint = (size_t)(p - digits);

    n->frac = p;
    n->nfrac = 0;
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return fail(why, whylen, "expected a digit after \".\"");
        n->frac = p;
        while (is_digit(*p)) p++;
        n->nfrac = (size_t)(p - n->frac);
    }

    /* Forms a C or Lua programmer might try; name them rather than let them
     * fall through to a puzzling "unknown unit". */
    if ((*p == 'e' || *p == 'E') && (is_digit(p[1]) || p[1] == '-' || p[1] == '+'))
        return fail(why, whylen, "exponent notation (like 1e3) is not allowed");
    if (nint == 1 && digits[0] == '0' && n->nfrac == 0 && (*p == 'x' || *p == 'X'))
        return fail(why, whylen, "hexadecimal numbers are not allowed");

    *pp = p;
    return 1;
}

/* Explains why no number starts at p (scan_number returned 0). */
static int no_number(const char *p, char *why, size_t whylen)
{
    if (*p == '\0')
        return fail(why, whylen, "empty string");
    if (is_alpha(*p)) {
        const char *e = skip_alpha(p);
        int len = (int)(e - p);
        char w[10] = {0};
        for (int i = 0; i < len && i < 9; i++) w[i] = lower(p[i]);
        if (len < 9 && (!strcmp(w, "nan") || !strcmp(w, "inf") || !strcmp(w, "infinity")))
            return fail(why, whylen, "nan and infinity are not allowed");
        return fail(why, whylen, "missing number before \"%.*s\"", len < FRAG ? len : FRAG, p);
    }
    return fail(why, whylen, "expected a number, not \"%.*s\"", FRAG, p);
}

/* *out = n * mult, rounded to the nearest integer (halves up).  Returns -1
 * if that exceeds MAX_VALUE.  mult must be at least 1 and below 2^59.
 *
 * The fraction part is floor(mult * 0.d1..dk) computed from the last digit
 * up: v_k = d_k*mult, v_i = d_i*mult + floor(v_{i+1}/10).  By induction
 * v_i = floor(mult * d_i.d_{i+1}..d_k), because floor(floor(y)/10) =
 * floor(y/10); so v_1/10 is mult * 0.d1..dk with the last decimal digit of
 * v_1 being the first digit dropped: the value rounds up iff it is >= 5.
 * v stays below 10*mult, so nothing overflows. */
static int scale(const struct num *n, uint64_t mult, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = n->nfrac; i-- > 0;)
        v = (uint64_t)(n->frac[i] - '0') * mult + v / 10;
    uint64_t f = v / 10 + (v % 10 >= 5);

    if (n->big || n->ip > (MAX_VALUE - f) / mult)
        return -1;
    *out = n->ip * mult + f;
    return 0;
}

struct unit { const char *name; uint64_t mult; };

static const struct unit size_units[] = {
    {"B", 1},
    {"KB", UINT64_C(1) << 10}, {"MB", UINT64_C(1) << 20},
    {"GB", UINT64_C(1) << 30}, {"TB", UINT64_C(1) << 40},
    {"KiB", UINT64_C(1) << 10}, {"MiB", UINT64_C(1) << 20},
    {"GiB", UINT64_C(1) << 30}, {"TiB", UINT64_C(1) << 40},
    {NULL, 0},
};

static const struct unit time_units[] = {
    {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", NS_PER_S},
    {"m", 60 * NS_PER_S}, {"h", 3600 * NS_PER_S},
    {"d", 86400 * NS_PER_S}, {"w", 7 * 86400 * NS_PER_S},
    {NULL, 0},
};

/* The unit spelled p[0..len), or NULL.  With fold, compares ignoring case
 * (for the "did you mean" hint). */
static const struct unit *find_unit(const struct unit *u, const char *p, size_t len, int fold)
{
    for (; u->name; u++) {
        if (strlen(u->name) != len) continue;
        size_t i = 0;
        while (i < len && (fold ? lower(u->name[i]) == lower(p[i]) : u->name[i] == p[i])) i++;
        if (i == len) return u;
    }
    return NULL;
}

/* ws number ws [unit]: the part shared by sizes and rates.  On success
 * advances *pp to just after the unit (or the blanks after the number). */
static int scan_size(const char **pp, uint64_t *bytes, char *why, size_t whylen)
{
    const char *p = skip_ws(*pp);
    struct num n;
    int r = scan_number(&p, &n, why, whylen);
    if (r < 0) return r;
    if (r == 0) return no_number(p, why, whylen);

    const char *after = p;
    p = skip_ws(p);
    uint64_t mult = 1;
    if (is_alpha(*p)) {
        const char *e = skip_alpha(p);
        size_t len = (size_t)(e - p);
        int qlen = len < FRAG ? (int)len : FRAG;
        const struct unit *u = find_unit(size_units, p, len, 0);
        if (!u) {
            u = find_unit(size_units, p, len, 1);
            if (u)
                return fail(why, whylen, "unknown unit \"%.*s\" (units are case-sensitive: "
                            "did you mean \"%s\"?)", qlen, p, u->name);
            return fail(why, whylen, "unknown unit \"%.*s\" (expected B, KB, MB, GB, TB, "
                        "KiB, MiB, GiB or TiB)", qlen, p);
        }
        mult = u->mult;
        after = e;
    }
    if (scale(&n, mult, bytes) < 0)
        return fail(why, whylen, "too large (more than 8 EiB)");
    *pp = after;
    return SS_OK;
}

int ss_parse_size(const char *s, uint64_t *bytes, char *why, size_t whylen)
{
    if (!s) return usage(why, whylen);
    const char *p = s;
    uint64_t b;
    int r = scan_size(&p, &b, why, whylen);
    if (r) return r;
    p = skip_ws(p);
    if (*p)
        return fail(why, whylen, "unexpected \"%.*s\" after the size", FRAG, p);
    *bytes = b;
    return SS_OK;
}

int ss_parse_rate(const char *s, double *bytes_per_s, char *why, size_t whylen)
{
    if (!s) return usage(why, whylen);
    const char *p = s;
    uint64_t b;
    int r = scan_size(&p, &b, why, whylen);
    if (r) return r;
    p = skip_ws(p);
    if (*p != '/') {
        if (!*p)
            return fail(why, whylen, "a rate needs \"/s\" after the size");
        return fail(why, whylen, "a rate needs \"/s\" after the size (found \"%.*s\")", FRAG, p);
    }
    const char *slash = p;
    p = skip_ws(p + 1);
    const char *e = skip_alpha(p);
    if (e - p != 1 || *p != 's')
        return fail(why, whylen, "a rate needs \"/s\" after the size (not \"%.*s\")", FRAG, slash);
    p = skip_ws(e);
    if (*p)
        return fail(why, whylen, "unexpected \"%.*s\" after the rate", FRAG, p);
    *bytes_per_s = (double)b;
    return SS_OK;
}

int ss_parse_duration(const char *s, ss_time *ns, char *why, size_t whylen)
{
    if (!s) return usage(why, whylen);
    const char *p = skip_ws(s);
    uint64_t total = 0;
    int terms = 0;

    if (!*p) return fail(why, whylen, "empty string");
    while (*p) {
        struct num n;
        const char *start = p;
        int r = scan_number(&p, &n, why, whylen);
        if (r < 0) return r;
        if (r == 0) return no_number(p, why, whylen);
        int numlen = (int)(p - start);

        p = skip_ws(p);
        uint64_t mult, v;
        if (is_alpha(*p)) {
            const char *e = skip_alpha(p);
            size_t len = (size_t)(e - p);
            const struct unit *u = find_unit(time_units, p, len, 0);
            if (!u)
                return fail(why, whylen, "unknown unit \"%.*s\" (expected ns, us, ms, s, m, h, d or w)",
                            len < FRAG ? (int)len : FRAG, p);
            mult = u->mult;
            p = e;
        } else if (!*p && terms == 0) {
            mult = NS_PER_S;                 /* "90": a lone number is seconds */
        } else if (!*p || is_digit(*p) || *p == '.') {
            return fail(why, whylen, "missing unit after \"%.*s\" (only a lone number may omit it)",
                        numlen < FRAG ? numlen : FRAG, start);
        } else {
            return fail(why, whylen, "unexpected \"%.*s\"", FRAG, p);
        }
        if (scale(&n, mult, &v) < 0 || v > MAX_VALUE - total)
            return fail(why, whylen, "too large (more than 292 years)");
        total += v;
        terms++;
        p = skip_ws(p);
    }
    *ns = (ss_time)total;
    return SS_OK;
}

void ss_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const names[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (u < 4 && bytes >= UINT64_C(1) << (10 * (u + 1))) u++;

    uint64_t unit = UINT64_C(1) << (10 * u);
    uint64_t q = bytes / unit, r = bytes % unit;
    uint64_t h = (r * 100 + unit / 2) / unit;     /* hundredths, halves up; r*100 < 2^47 */
    if (h == 100) { q++; h = 0; }
    if (q == 1024 && u < 4) { u++; q = 1; }        /* 1023.999 KB is "1 MB", not "1024 KB" */

    if (!len) return;
    if (h == 0)
        snprintf(buf, len, "%" PRIu64 " %s", q, names[u]);
    else if (h % 10 == 0)
        snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", q, h / 10, names[u]);
    else
        snprintf(buf, len, "%" PRIu64 ".%02" PRIu64 " %s", q, h, names[u]);
}

/* Appends "<whole>[.<frac>]<unit>" where frac has `digits` decimal places
 * with trailing zeros trimmed. */
static size_t put_decimal(char *out, size_t at, uint64_t whole, uint64_t frac, int digits,
                          const char *unit)
{
    char f[24] = "";
    if (frac) {
        snprintf(f, sizeof f, ".%0*" PRIu64, digits, frac);
        size_t n = strlen(f);
        while (f[n - 1] == '0') f[--n] = '\0';
    }
    return at + (size_t)sprintf(out + at, "%" PRIu64 "%s%s", whole, f, unit);
}

void ss_format_duration(ss_time t, char *buf, size_t len)
{
    char out[64];   /* longest: "-106751d23h47m16.854775808s" */
    size_t at = 0;
    /* Negate in unsigned arithmetic: -INT64_MIN does not fit an int64. */
    uint64_t v = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;

    if (t < 0) out[at++] = '-';
    uint64_t sec = v / NS_PER_S, sub = v % NS_PER_S;
    if (v == 0) {
        at = put_decimal(out, at, 0, 0, 0, "s");
    } else if (sec == 0) {
        if (sub >= 1000000)
            at = put_decimal(out, at, sub / 1000000, sub % 1000000, 6, "ms");
        else if (sub >= 1000)
            at = put_decimal(out, at, sub / 1000, sub % 1000, 3, "us");
        else
            at = put_decimal(out, at, sub, 0, 0, "ns");
    } else {
        uint64_t d = sec / 86400, h = sec / 3600 % 24, m = sec / 60 % 60, s = sec % 60;
        if (d) at = put_decimal(out, at, d, 0, 0, "d");
        if (h) at = put_decimal(out, at, h, 0, 0, "h");
        if (m) at = put_decimal(out, at, m, 0, 0, "m");
        if (s || sub) at = put_decimal(out, at, s, sub, 9, "s");
    }
    if (len) snprintf(buf, len, "%s", out);
}

void ss_format_duration_human(double seconds, char *buf, size_t len)
{
    if (!len) return;
    if (isnan(seconds)) {
        snprintf(buf, len, "never");
        return;
    }
    const char *sign = seconds < 0 ? "-" : "";
    double a = fabs(seconds);
    if (a < 59.95) {
        if (a == 0) snprintf(buf, len, "0s");
        else snprintf(buf, len, "%s%.1fs", sign, a);
        if (len > 3 && strstr(buf, ".0s")) {   /* "5.0s" reads "5s" */
            char *p = strstr(buf, ".0s");
            memmove(p, p + 2, strlen(p + 2) + 1);
        }
        return;
    }
    uint64_t sec = (uint64_t)(a + 0.5);
    uint64_t d = sec / 86400, h = sec / 3600 % 24, m = sec / 60 % 60, s = sec % 60;
    if (d) snprintf(buf, len, "%s%" PRIu64 "d%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s", sign, d, h, m, s);
    else if (h) snprintf(buf, len, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s", sign, h, m, s);
    else snprintf(buf, len, "%s%" PRIu64 "m%" PRIu64 "s", sign, m, s);
}
