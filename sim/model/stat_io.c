/*
 * stat_io.c -- random guest writes counted, not drawn (stat_io.h).
 *
 * A sync over (u_anchor, u_target] of operational time: the number of I/Os
 * K (constant arrivals: the integers in the interval; Poisson: a Poisson
 * draw of mean u_target - u_anchor), of them the writes (Binomial with
 * 1 - read_ratio), spread over the cells (Multinomial with the cells'
 * weights).  Per cell, the k writes touch D distinct slots (the occupancy
 * distribution, ss_occ_distinct); each file they go to (the top, and the
 * mirror during a mirrored merge) gains the D slots it lacks
 * (ss_ct_new_slots) -- one D for both files, as the same writes reach both.
 *
 * Space: as many I/Os at once as surely fit (the bound: every write a new
 * largest slot and new regions); near a full datastore, one at a time,
 * each new with probability (free slots)/(slots) per file, and the first
 * that does not fit stalls the VM at its arrival: for constant arrivals
 * the j-th integer, for Poisson the j-th of K uniform points of the
 * interval (a Beta(j, K - j + 1) fraction of it).  It waits with what it
 * was to add and is retried as it is when space is freed (as a new draw if
 * its file changed meanwhile).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "model/guest_io.h"
#include "model/occupancy.h"
#include "model/stat_io.h"

int ss_stat_applies(const ss_world *w, const ss_workload *wl)
{
    return w->statistical && wl && ss_workload_params_of(wl)->pattern != SS_PAT_SEQUENTIAL;
}

int ss_stat_check(const ss_world *w, const ss_vm *vm, const ss_workload *wl, int disk, char *why, size_t n)
{
    const ss_disk *d = &vm->disks[disk];
    if (!ss_stat_applies(w, wl) || !d->zm || ss_zones_same(d->zm, wl)) return 0;
    snprintf(why, n,
             "fidelity \"statistical\" counts disk %d's writes per part of the disk its first random workload "
             "defined: a later workload must keep its pattern, region, hot part and io_size (or run with "
             "fidelity \"exact\")", disk + 1);
    return -1;
}

void ss_stat_free(ss_vm *vm)
{
    ss_statio *s = vm->sio;
    if (!s) return;
    free(s->w);
    free(s->len);
    free(s->kc);
    free(s);
    vm->sio = NULL;
}

void ss_stat_install(ss_world *w, ss_vm *vm)
{
    ss_stat_free(vm);
    if (!ss_stat_applies(w, vm->wl)) return;
    ss_disk *d = &vm->disks[vm->wl_disk];
    if (!d->zm) {
        char name[400];
        snprintf(name, sizeof name, "vm:%s:disk%d:content", vm->name, vm->wl_disk + 1);
        d->zm = ss_zones_new(vm->wl, d->grain_shift, (unsigned long)ss_stream_seed(ss_engine_seed(w->eng), name));
        if (!d->zm) abort();
        for (ss_file *f = vm->dir.files; f; f = f->next)
            if (f->disk == d && !f->thick) ss_ct_attach(&f->ct, d->zm);
    }
    const ss_zonemap *zm = d->zm;
    ss_statio *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->ncells = zm->ncells;
    s->w = calloc((size_t)zm->ncells, sizeof *s->w);
    s->len = calloc((size_t)zm->ncells, sizeof *s->len);
    s->kc = calloc((size_t)zm->ncells, sizeof *s->kc);
    if (!s->w || !s->len || !s->kc) abort();
    ss_zones_weights(zm, vm->wl, s->w);
    for (int i = 0; i < zm->ncells; i++) {
        s->len[i] = zm->shape.sizes[zm->cells[i].cls];
        if (zm->cells[i].m > s->mmax) s->mmax = zm->cells[i].m;
        if (s->len[i] > s->lmax) s->lmax = s->len[i];
    }
    vm->sio = s;
}

/* ---- space ---- */

/* Bytes f could grow by with k more writes, at most. */
static uint64_t growth_bound(const ss_file *f, uint64_t k, uint32_t m)
{
    if (!f || f->thick) return 0;
    uint64_t g = k > UINT64_MAX / m ? UINT64_MAX / 2 : k * m;
    uint64_t sz = ss_file_size_for(f, ss_ct_count(&f->ct) + g, ss_ct_regions(&f->ct) + ss_ct_regions_bound(&f->ct, k, m));
    return sz > f->size ? sz - f->size : 0;
}

/* How many of the next `left` I/Os surely fit on the datastore. */
static uint64_t safe_ios(const ss_vm *vm, const ss_disk *d, uint64_t left)
{
    const ss_datastore *ds = d->top->ds;
    uint32_t m = vm->sio->mmax;
    if (ds->used > ds->capacity) return 0;
    uint64_t freeb = ds->capacity - ds->used;
    if (growth_bound(d->top, left, m) + growth_bound(d->mirror, left, m) <= freeb) return left;
    uint64_t lo = 0, hi = left;   /* lo fits, hi does not */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (growth_bound(d->top, mid, m) + growth_bound(d->mirror, mid, m) <= freeb) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* ---- writes ---- */

static uint64_t poisson64(gsl_rng *rng, double mean)
{
    uint64_t k = 0;
    while (mean > 1e9) {
        k += gsl_ran_poisson(rng, 1e9);
        mean -= 1e9;
    }
    return k + (mean > 0 ? gsl_ran_poisson(rng, mean) : 0);
}

/* k I/Os at once (they surely fit). */
static void apply_batch(ss_world *w, ss_vm *vm, ss_disk *d, uint64_t k)
{
    ss_statio *s = vm->sio;
    const ss_zonemap *zm = d->zm;
    double rr = ss_workload_params_of(vm->wl)->read_ratio;
    vm->ios += k;
    ss_file *tg[2] = { d->top->thick ? NULL : d->top, d->mirror && !d->mirror->thick ? d->mirror : NULL };
    while (k > 0) {
        unsigned kk = k > 0x7fffffffu ? 0x7fffffffu : (unsigned)k;
        k -= kk;
        unsigned kw = rr > 0 ? gsl_ran_binomial(vm->rng, 1 - rr, kk) : kk;
        if (kw == 0) continue;
        gsl_ran_multinomial(vm->rng, (size_t)s->ncells, kw, s->w, s->kc);
        for (int i = 0; i < s->ncells; i++) {
            if (!s->kc[i]) continue;
            vm->bytes_written += (uint64_t)s->kc[i] * s->len[i];
            uint64_t dist = ss_occ_distinct(vm->rng, zm->cells[i].n, s->kc[i]);
            for (int f = 0; f < 2; f++) {
                if (!tg[f]) continue;
                uint64_t dx = ss_ct_new_slots(&tg[f]->ct, i, dist);
                if (!dx) continue;
                ss_ct_plan p;
                ss_ct_plan_slots(&tg[f]->ct, i, dx, &p);
                ss_ct_commit(&tg[f]->ct, &p);
            }
        }
    }
    for (int f = 0; f < 2; f++)
        if (tg[f]) ss_file_grew(w, tg[f]);
}

static int pick_cell(const ss_statio *s, gsl_rng *rng)
{
    double u = gsl_rng_uniform(rng), acc = 0;
    int last = 0;
    for (int i = 0; i < s->ncells; i++) {
        if (s->w[i] <= 0) continue;
        acc += s->w[i];
        last = i;
        if (u < acc) return i;
    }
    return last;
}

/* Plan the pending write (cell s->pcell) for the disk's files now;
 * newness drawn unless kept from the stall. */
static void plan_pending(ss_vm *vm, ss_disk *d, int keep)
{
    ss_statio *s = vm->sio;
    ss_file *tg[2] = { d->top->thick ? NULL : d->top, d->mirror && !d->mirror->thick ? d->mirror : NULL };
    for (int f = 0; f < 2; f++) {
        ss_file *file = tg[f];
        int same = keep && file && file == s->pf[f] && ss_ct_count(&file->ct) == s->pcount[f];
        if (same) continue;
        s->pf[f] = file;
        s->pnew[f] = 0;
        memset(&s->pplan[f], 0, sizeof s->pplan[f]);
        if (!file) continue;
        s->pcount[f] = ss_ct_count(&file->ct);
        uint64_t n = d->zm->cells[s->pcell].n, fr = ss_ct_free_slots(&file->ct, s->pcell);
        s->pnew[f] = gsl_rng_uniform(vm->rng) * (double)n < (double)fr;
        if (s->pnew[f]) ss_ct_plan_slots(&file->ct, s->pcell, 1, &s->pplan[f]);
    }
}

/* The pending write, if it fits: applied, 0; else 1. */
static int try_pending(ss_world *w, ss_vm *vm, ss_disk *d)
{
    ss_statio *s = vm->sio;
    uint64_t growth = 0;
    for (int f = 0; f < 2; f++) {
        ss_file *file = s->pf[f];
        if (!file || !s->pnew[f]) continue;
        uint64_t sz = ss_file_size_for(file, ss_ct_plan_count(&file->ct, &s->pplan[f]),
                                       ss_ct_plan_regions(&file->ct, &s->pplan[f]));
        if (sz > file->size) growth += sz - file->size;
    }
    if (growth && !ss_ds_fits(d->top->ds, growth)) return 1;
    for (int f = 0; f < 2; f++) {
        ss_file *file = s->pf[f];
        if (!file || !s->pnew[f]) continue;
        ss_ct_commit(&file->ct, &s->pplan[f]);
        ss_file_grew(w, file);
    }
    return 0;
}

/* The next I/O alone: 0 applied (or a read), 1 it does not fit (pending). */
static int step_one(ss_world *w, ss_vm *vm, ss_disk *d)
{
    ss_statio *s = vm->sio;
    double rr = ss_workload_params_of(vm->wl)->read_ratio;
    if (rr > 0 && gsl_rng_uniform(vm->rng) < rr) {
        vm->ios++;
        return 0;
    }
    s->pcell = pick_cell(s, vm->rng);
    s->plen = s->len[s->pcell];
    plan_pending(vm, d, 0);
    if (try_pending(w, vm, d)) return 1;
    vm->ios++;
    vm->bytes_written += s->plen;
    return 0;
}

void ss_stat_sync(ss_world *w, ss_vm *vm, ss_time t)
{
    if (!vm->wl || vm->speed <= 0 || t <= vm->t_anchor) {
        if (t > vm->t_anchor && vm->speed <= 0) vm->t_anchor = t;
        return;
    }
    double dt = ss_time_to_s(t - vm->t_anchor);
    double u0 = vm->u_anchor, u1 = u0 + vm->speed * dt;
    int constant = ss_workload_params_of(vm->wl)->arrivals == SS_ARR_CONSTANT;
    uint64_t K = constant ? (uint64_t)floor(u1) - (uint64_t)floor(u0) : poisson64(vm->rng, u1 - u0);
    ss_disk *d = &vm->disks[vm->wl_disk];
    uint64_t j = 0;
    while (j < K) {
        uint64_t safe = safe_ios(vm, d, K - j);
        if (safe > 0) {
            apply_batch(w, vm, d, safe);
            j += safe;
            continue;
        }
        if (step_one(w, vm, d)) {
            /* the (j+1)-th I/O of the interval stalls */
            double uj = constant ? floor(u0) + (double)(j + 1)
                                 : u0 + (u1 - u0) * gsl_ran_beta(vm->rng, (double)(j + 1), (double)(K - j));
            ss_time t_io = vm->t_anchor + ss_time_from_s((uj - u0) / vm->speed);
            if (t_io > t) t_io = t;
            vm->u_anchor = uj;
            vm->t_anchor = t_io;
            vm->speed = 0;
            ss_vm_stall(w, vm, t_io);
            vm->t_anchor = t;
            if (vm->io.attached) ss_ds_detach(w, &vm->io);
            return;
        }
        j++;
    }
    vm->u_anchor = u1;
    vm->t_anchor = t;
}

int ss_stat_retry(ss_world *w, ss_vm *vm, uint64_t *len)
{
    ss_disk *d = &vm->disks[vm->wl_disk];
    plan_pending(vm, d, 1);
    if (try_pending(w, vm, d)) return 1;
    *len = vm->sio->plen;
    return 0;
}
