/*
 * test_units.c -- sizes, durations and rates (sim/units.c, SPEC §3).
 *
 * Expected values are worked out by hand in the tables' comments from the
 * definitions: KB/KiB = 2^10, MB = 2^20 = 1048576, GB = 2^30 = 1073741824,
 * TB = 2^40 = 1099511627776; m = 60 s, h = 3600 s, d = 86400 s,
 * w = 604800 s; INT64_MAX = 9223372036854775807.
 */
#include "snapsim/error.h"
#include "snapsim/units.h"
#include "testlib.h"

#define GiB UINT64_C(1073741824)
#define TiB UINT64_C(1099511627776)
#define S   INT64_C(1000000000)

struct good_size { const char *in; uint64_t want; };
struct bad { const char *in; const char *why; };   /* `why` must contain this */

static void t_size_good(void)
{
    static const struct good_size rows[] = {
        {"30GB", 30 * GiB},                          /* 32212254720 */
        {"1.5 TiB", 1649267441664},                  /* 1.5 * 2^40 */
        {"512", 512},
        {"4KiB", 4096},
        {"0B", 0},
        {" 16 MB ", 16777216},                       /* 16 * 2^20 */
        {"\t7\tMiB\n", 7340032},                     /* 7 * 2^20 */
        {"1TB", TiB},
        {"1 B", 1},
        {"1.5 MB", 1572864},                         /* 1.5 * 2^20 */
        {"2.75GiB", 2952790016},                     /* 2.75 * 2^30 = 2^31 + 2^29 + 2^28 */
        {".5KB", 512},
        {"0.5", 1},                                  /* half a byte rounds up */
        {"0.4999", 0},
        {"0.001KB", 1},                              /* 1.024 B */
        {"0.00048828125KB", 1},                      /* exactly 0.5 B (2^-11 KB): up */
        {"0.00048828124KB", 0},                      /* just under 0.5 B */
        {"1.0000000000000000000000000001KB", 1024},  /* long fraction, no overflow */
        {"0000000000000000000000000042GB", 42 * GiB}, /* leading zeros are not "too large" */
        {"9223372036854775807", UINT64_C(9223372036854775807)},  /* INT64_MAX */
        {"8589934591GB", UINT64_C(9223372035781033984)},   /* (2^33-1) * 2^30 = 2^63 - 2^30 */
        {"8388607.5TB", UINT64_C(9223371487098961920)},  /* (2^23 - 1/2) * 2^40 = 2^63 - 2^39 */
        {NULL, 0},
    };
    for (const struct good_size *r = rows; r->in; r++) {
        uint64_t got = 7;
        char why[200] = "";
        int rc = ss_parse_size(r->in, &got, why, sizeof why);
        if (rc != SS_OK) fprintf(stderr, "  size \"%s\": %s\n", r->in, why);
        CHECK_EQ_I(rc, SS_OK);
        CHECK_EQ_U(got, r->want);
    }
}

/* The boundary at INT64_MAX bytes, built from integers the test computes. */
static void t_size_edge(void)
{
    uint64_t got = 0;
    char why[200];
    CHECK_EQ_I(ss_parse_size("9223372036854775808", &got, why, sizeof why), SS_ERR_INPUT);
    CHECK_CONTAINS(why, "too large");
    CHECK_EQ_I(ss_parse_size("8589934592GB", &got, why, sizeof why), SS_ERR_INPUT);  /* 2^63 */
    CHECK_CONTAINS(why, "too large");
    /* 9223372036854775806.5 rounds (half up) to INT64_MAX; ...807.5 to 2^63. */
    CHECK_EQ_I(ss_parse_size("9223372036854775806.5", &got, why, sizeof why), SS_OK);
    CHECK_EQ_U(got, UINT64_C(9223372036854775807));
    CHECK_EQ_I(ss_parse_size("9223372036854775807.4", &got, why, sizeof why), SS_OK);
    CHECK_EQ_U(got, UINT64_C(9223372036854775807));
    CHECK_EQ_I(ss_parse_size("9223372036854775807.5", &got, why, sizeof why), SS_ERR_INPUT);
    CHECK_CONTAINS(why, "too large");
}

static void t_size_bad(void)
{
    static const struct bad rows[] = {
        {"-3GB", "negative values are not allowed"},
        {"  -0", "negative values are not allowed"},
        {"+5GB", "sign is not allowed"},
        {"30 GX", "unknown unit \"GX\" (expected B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"},
        {"5 PB", "unknown unit \"PB\""},
        {"30G", "unknown unit \"G\""},
        {"30gb", "case-sensitive: did you mean \"GB\"?"},
        {"30Mb", "did you mean \"MB\"?"},
        {"4kib", "did you mean \"KiB\"?"},
        {"", "empty string"},
        {"   ", "empty string"},
        {"GB", "missing number before \"GB\""},
        {"1e3GB", "exponent notation"},
        {"1E-3", "exponent notation"},
        {"9999999999TB", "too large (more than 8 EiB)"},  /* ~1.1e22 B */
        {"99999999999999999999", "too large (more than 8 EiB)"},
        {"1..5GB", "expected a digit after \".\""},
        {"1.GB", "expected a digit after \".\""},
        {".", "expected a digit after \".\""},
        {"1.5.2GB", "unexpected \".2GB\" after the size"},
        {"0x10", "hexadecimal numbers are not allowed"},
        {"nan", "nan and infinity are not allowed"},
        {"inf", "nan and infinity are not allowed"},
        {"Infinity", "nan and infinity are not allowed"},
        {"30 GB x", "unexpected \"x\" after the size"},
        {"30GB/s", "unexpected \"/s\" after the size"},
        {"1,5GB", "unexpected \",5GB\""},
        {"30 GB GB", "unexpected \"GB\""},
        {"#", "expected a number, not \"#\""},
        {NULL, NULL},
    };
    for (const struct bad *r = rows; r->in; r++) {
        uint64_t got = 12345;
        char why[200] = "";
        CHECK_EQ_I(ss_parse_size(r->in, &got, why, sizeof why), SS_ERR_INPUT);
        CHECK_CONTAINS(why, r->why);
        CHECK_EQ_U(got, 12345);               /* untouched on error */
        CHECK(why[0] < 'A' || why[0] > 'Z'); /* embeddable after ": " */
    }
}

struct good_dur { const char *in; ss_time want; };

static void t_duration_good(void)
{
    static const struct good_dur rows[] = {
        {"1h30m", 5400 * S},
        {"250ms", 250000000},
        {"7d", 604800 * S},
        {"1w", 604800 * S},
        {"2d12h", 216000 * S},                  /* 172800 + 43200 */
        {"1.5h", 5400 * S},
        {"90", 90 * S},
        {" 90 ", 90 * S},
        {"1.5", 1500000000},
        {"0", 0},
        {"0s", 0},
        {"90s", 90 * S},
        {"15m", 900 * S},
        {"1h 30m", 5400 * S},
        {"30m1h", 5400 * S},                    /* any order */
        {"1h1h", 7200 * S},                     /* repeats add up */
        {" 2 h ", 7200 * S},
        {"1ns", 1},
        {"2us", 2000},
        {"1.5ns", 2},                           /* half up */
        {"1.49ns", 1},
        {"0.000000001s", 1},
        {"0.0000000015s", 2},
        {"0.00000000149s", 1},
        {"1d1h1m1s1ms1us1ns", INT64_C(90061001001001)},  /* 86400+3600+60+1 s, then 1001001 ns */
        {"0.1w", 60480 * S},
        {"15250w", INT64_C(9223200000) * S},     /* 15250 * 604800 s, just under the limit */
        {"9223372036.854775807s", INT64_MAX},
        {"9223372036854775807ns", INT64_MAX},
        {NULL, 0},
    };
    for (const struct good_dur *r = rows; r->in; r++) {
        ss_time got = -7;
        char why[200] = "";
        int rc = ss_parse_duration(r->in, &got, why, sizeof why);
        if (rc != SS_OK) fprintf(stderr, "  duration \"%s\": %s\n", r->in, why);
        CHECK_EQ_I(rc, SS_OK);
        CHECK_EQ_I(got, r->want);
    }
}

static void t_duration_bad(void)
{
    static const struct bad rows[] = {
        {"-5s", "negative values are not allowed"},
        {"1h-30m", "negative values are not allowed"},
        {"5x", "unknown unit \"x\" (expected ns, us, ms, s, m, h, d or w)"},
        {"1H", "unknown unit \"H\""},
        {"5 min", "unknown unit \"min\""},
        {"2 sec", "unknown unit \"sec\""},
        {"h", "missing number before \"h\""},
        {"", "empty string"},
        {" \t", "empty string"},
        {"1h30", "missing unit after \"30\""},
        {"1 30m", "missing unit after \"1\""},
        {"1e3s", "exponent notation"},
        {"0x10s", "hexadecimal"},
        {"nan", "nan and infinity"},
        {"inf", "nan and infinity"},
        {"1..5h", "expected a digit after \".\""},
        {"99999999999999999999", "too large (more than 292 years)"},
        {"15251w", "too large"},                /* 15251 * 604800 s = 9.2238e18 ns */
        {"15250w15250w", "too large"},          /* each fits, the sum does not */
        {"9223372036.8547758075s", "too large"}, /* rounds to INT64_MAX + 1 */
        {"9223372036854775808ns", "too large"},
        {"5!", "unexpected \"!\""},
        {"1h,", "expected a number, not \",\""},
        {"+1h", "sign is not allowed"},
        {NULL, NULL},
    };
    for (const struct bad *r = rows; r->in; r++) {
        ss_time got = 12345;
        char why[200] = "";
        CHECK_EQ_I(ss_parse_duration(r->in, &got, why, sizeof why), SS_ERR_INPUT);
        CHECK_CONTAINS(why, r->why);
        CHECK_EQ_I(got, 12345);
    }
}

struct good_rate { const char *in; double want; };

static void t_rate(void)
{
    static const struct good_rate good[] = {
        {"100MB/s", 104857600.0},              /* 100 * 2^20 */
        {"1.5GB/s", 1610612736.0},             /* 1.5 * 2^30 */
        {" 100 MB / s ", 104857600.0},
        {"0B/s", 0.0},
        {"512/s", 512.0},
        {"120MB/s", 125829120.0},              /* the SPEC's datastore example */
        {NULL, 0},
    };
    for (const struct good_rate *r = good; r->in; r++) {
        double got = -1;
        char why[200] = "";
        int rc = ss_parse_rate(r->in, &got, why, sizeof why);
        if (rc != SS_OK) fprintf(stderr, "  rate \"%s\": %s\n", r->in, why);
        CHECK_EQ_I(rc, SS_OK);
        CHECK(got == r->want);
    }
    static const struct bad bad[] = {
        {"100MB", "a rate needs \"/s\" after the size"},
        {"3GB/h", "a rate needs \"/s\" after the size (not \"/h\")"},
        {"3GB/sec", "(not \"/sec\")"},
        {"3GB/", "a rate needs \"/s\""},
        {"3GB x", "a rate needs \"/s\" after the size (found \"x\")"},
        {"-1MB/s", "negative values are not allowed"},
        {"100XB/s", "unknown unit \"XB\""},
        {"100MB/s x", "unexpected \"x\" after the rate"},
        {"/s", "expected a number, not \"/s\""},
        {"", "empty string"},
        {"9999999999TB/s", "too large"},
        {NULL, NULL},
    };
    for (const struct bad *r = bad; r->in; r++) {
        double got = 12345;
        char why[200] = "";
        CHECK_EQ_I(ss_parse_rate(r->in, &got, why, sizeof why), SS_ERR_INPUT);
        CHECK_CONTAINS(why, r->why);
        CHECK(got == 12345);
    }
}

/* NULL input is misuse; NULL or tiny `why` buffers must be safe. */
static void t_api_edges(void)
{
    uint64_t b = 0;
    ss_time t = 0;
    double r = 0;
    char why[200] = "";
    CHECK_EQ_I(ss_parse_size(NULL, &b, why, sizeof why), SS_ERR_USAGE);
    CHECK_EQ_I(ss_parse_duration(NULL, &t, NULL, 0), SS_ERR_USAGE);
    CHECK_EQ_I(ss_parse_rate(NULL, &r, NULL, 0), SS_ERR_USAGE);
    CHECK_EQ_I(ss_parse_size("30 GX", &b, NULL, 0), SS_ERR_INPUT);
    char small[8];
    memset(small, 'z', sizeof small);
    CHECK_EQ_I(ss_parse_size("30 GX", &b, small, sizeof small), SS_ERR_INPUT);
    CHECK_STR(small, "unknown");                /* truncated to 7 chars + NUL */
    CHECK_EQ_I(ss_parse_size("1GB", &b, NULL, 0), SS_OK);
    CHECK_EQ_U(b, GiB);
}

struct fmt_size { uint64_t in; const char *want; };

static void t_format_size(void)
{
    static const struct fmt_size rows[] = {
        {0, "0 B"},
        {512, "512 B"},
        {1023, "1023 B"},
        {1024, "1 KB"},
        {1536, "1.5 KB"},
        {1152, "1.13 KB"},                   /* 1.125 KB: the half rounds up */
        {1100, "1.07 KB"},                   /* 1.0742 KB */
        {1025, "1 KB"},                      /* 1.00098 KB */
        {1047552, "1023 KB"},                /* 1023 * 1024 */
        {1048575, "1 MB"},                   /* 1023.999 KB rounds into the next unit */
        {16777216, "16 MB"},
        {15 * GiB, "15 GB"},
        {GiB + GiB / 4, "1.25 GB"},
        {TiB + TiB / 2, "1.5 TB"},
        {1024 * TiB, "1024 TB"},             /* TB is the largest unit */
        {UINT64_MAX, "16777216 TB"},         /* (2^64 - 1) / 2^40 = 2^24 - 2^-40 */
        {0, NULL},
    };
    for (const struct fmt_size *r = rows; r->want; r++) {
        char buf[32];
        ss_format_size(r->in, buf, sizeof buf);
        CHECK_STR(buf, r->want);
    }
    char tiny[4] = "zzz";
    ss_format_size(15 * GiB, tiny, sizeof tiny);
    CHECK_STR(tiny, "15 ");
    ss_format_size(15 * GiB, tiny, 0);         /* len 0: nothing written */
    CHECK_STR(tiny, "15 ");
}

struct fmt_dur { ss_time in; const char *want; };

static void t_format_duration(void)
{
    static const struct fmt_dur rows[] = {
        {0, "0s"},
        {5400 * S, "1h30m"},
        {250000000, "250ms"},
        {604800 * S, "7d"},
        {60 * S, "1m"},
        {3601 * S, "1h1s"},
        {1500000000, "1.5s"},
        {121 * S + S / 2, "2m1.5s"},
        {1500, "1.5us"},
        {1, "1ns"},
        {999999999, "999.999999ms"},
        {INT64_C(90061001001001), "1d1h1m1.001001001s"},
        {-90 * S, "-1m30s"},
        /* INT64_MAX ns = 9223372036 s + 854775807 ns; 9223372036 s =
         * 106751 d (9223286400 s) + 85636 s = 23 h + 2836 s = 47 m + 16 s. */
        {INT64_MAX, "106751d23h47m16.854775807s"},
        {INT64_MIN, "-106751d23h47m16.854775808s"},
        {0, NULL},
    };
    for (const struct fmt_dur *r = rows; r->want; r++) {
        char buf[64];
        ss_format_duration(r->in, buf, sizeof buf);
        CHECK_STR(buf, r->want);
    }
    char tiny[4];
    ss_format_duration(5400 * S, tiny, sizeof tiny);
    CHECK_STR(tiny, "1h3");
}

/* xorshift64: a fixed, portable sequence of test values. */
static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* format -> parse: durations come back exactly; sizes within half a
 * hundredth of the unit the text uses, plus half a byte of rounding. */
static void t_round_trip(void)
{
    uint64_t x = 88172645463325252u;
    int bad_dur = 0, bad_size = 0;
    for (int i = 0; i < 20000; i++) {
        uint64_t r = next(&x);
        /* Spread over all magnitudes: shift right by 0..63 bits. */
        ss_time t = (ss_time)((r >> 1) >> (r % 63));
        char buf[64], why[200];
        ss_time back = -1;
        ss_format_duration(t, buf, sizeof buf);
        if (ss_parse_duration(buf, &back, why, sizeof why) != SS_OK || back != t) {
            if (bad_dur++ < 5) fprintf(stderr, "  duration %lld -> \"%s\" -> %lld (%s)\n",
                                       (long long)t, buf, (long long)back, why);
        }

        uint64_t b = (r >> 1) >> (r % 63 + 1), bb = 0;
        ss_format_size(b, buf, sizeof buf);
        /* The unit the text chose (it may be one up from b's own: 1023.996 KB
         * prints as "1 MB"). */
        const char *sp = strchr(buf, ' ');
        static const char *const names[] = {"B", "KB", "MB", "GB", "TB"};
        int u = 0;
        while (u < 4 && strcmp(sp + 1, names[u]) != 0) u++;
        double tol = (double)(UINT64_C(1) << (10 * u)) / 200 + 0.5;
        if (ss_parse_size(buf, &bb, why, sizeof why) != SS_OK
            || fabs((double)bb - (double)b) > tol) {
            if (bad_size++ < 5) fprintf(stderr, "  size %llu -> \"%s\" -> %llu\n",
                                        (unsigned long long)b, buf, (unsigned long long)bb);
        }
    }
    CHECK_EQ_I(bad_dur, 0);
    CHECK_EQ_I(bad_size, 0);

    /* Sizes that are whole hundredths of their unit come back exactly. */
    static const uint64_t exact[] = {0, 512, 1536, 15 * GiB, GiB + GiB / 4, TiB + TiB / 2,
                                     16777216, 3 * TiB + TiB / 4};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        char buf[32];
        uint64_t back = 1;
        ss_format_size(exact[i], buf, sizeof buf);
        CHECK_EQ_I(ss_parse_size(buf, &back, NULL, 0), SS_OK);
        CHECK_EQ_U(back, exact[i]);
    }
}

static const struct tl_test tl_tests[] = {
    TL(t_size_good), TL(t_size_edge), TL(t_size_bad),
    TL(t_duration_good), TL(t_duration_bad), TL(t_rate), TL(t_api_edges),
    TL(t_format_size), TL(t_format_duration), TL(t_round_trip),
    {0},
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
