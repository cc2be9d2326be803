/*
 * strategy.c -- the deletion (consolidation) strategy presets,
 * as a table: the order of Delete All's merges, when files are released,
 * and how the delta a running guest writes to is merged.  Sources in
 * docs/model.md.
 */
#include <string.h>

#include "model/strategy.h"

static const ss_strategy strategies[] = {
    /* ESX 3.x / ESX 4.0 U1 and older: farthest snapshot into its parent,
     * repeated down the chain; nothing removed until the end; iterative
     * Consolidate Helper for the live delta. */
    { "esx35", SS_ORDER_NEWEST_FIRST, 1, SS_LIVE_HELPER, SS_COPY_SELECTIVE, 0 },
    /* vSphere 4.0 U2 / 4.1: closest to the base first, each file removed
     * after its merge; still the iterative helper. */
    { "vsphere41", SS_ORDER_OLDEST_FIRST, 0, SS_LIVE_HELPER, SS_COPY_SELECTIVE, 0 },
    /* vSphere 6.0+: the Storage vMotion mirror driver, one pass, writes
     * mirrored selectively (behind the copy only). */
    { "vsphere6", SS_ORDER_OLDEST_FIRST, 0, SS_LIVE_MIRROR, SS_COPY_SELECTIVE, 0 },
    /* The VM paused for the whole merge of its live delta. */
    { "offline", SS_ORDER_OLDEST_FIRST, 0, SS_LIVE_STUN, SS_COPY_SELECTIVE, 0 },
    /* QEMU block-commit of the whole chain into the base; the active
     * layer with active-commit (mirror) semantics, QEMU's background copy
     * mode; the committed overlays stay (libvirt's --delete removes them). */
    { "qemu_commit", SS_ORDER_COMMIT, 1, SS_LIVE_MIRROR, SS_COPY_BACKGROUND, 1 },
    /* QEMU block-stream: backing data pulled up into the top; the backing
     * files stay. */
    { "qemu_stream", SS_ORDER_STREAM, 1, SS_LIVE_NONE, SS_COPY_SELECTIVE, 1 },
};

const ss_strategy *ss_strategy_find(const char *name)
{
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++)
        if (strcmp(strategies[i].name, name) == 0) return &strategies[i];
    return NULL;
}

const char *ss_strategy_names(void)
{
    return "esx35, vsphere41, vsphere6, offline, qemu_commit, qemu_stream";
}

static const char *const copy_modes[] = { "selective", "background", "write-blocking" };

const char *ss_copy_mode_name(ss_copy_mode m) { return copy_modes[m]; }

int ss_copy_mode_find(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(copy_modes[i], name) == 0) return i;
    return -1;
}
