-- fleet_month.lua -- a planning template at fleet scale: 1000 VMs on 10 datastores across
-- 20 hosts for 30 days, daily snapshots kept 3, nightly VCB backups.
--
-- Every figure is a parameter (--set NAME=VALUE), so the same fleet scales down:
--   VMS (1000), DATASTORES (10), HOSTS (20), PROXIES (5), DAYS (30), KEEP (3),
--   DISK ("40GB", each VM's one thick disk), USED ("20GB", guest data a backup reads),
--   RATE_SCALE (1: multiplies every VM's write rate), FORMAT ("seSparse"),
--   STRATEGY ("vsphere6"), BACKUP_FRACTION (0.05: file-mode backups read this share of USED).
--   snapsim run scenarios/fleet_month.lua --set VMS=10 --set DAYS=1 --set RATE_SCALE=0.01
--
-- The mix, deterministic per VM index i (no draws: the same VM gets the same workload at
-- every scale):
--   rate: 0.2 to 4 MB/s, spread evenly by the golden-ratio sequence frac(i * 0.618...),
--   two thirds hotspot (8 KB writes, 90 % of them on 10 % of the disk), one third zipf
--   (s = 1.1, a mix of 4 KB and 64 KB I/Os), Poisson arrivals, a third of the I/O reads
--   on the zipf VMs.
-- VM i lives on datastore 1 + (i-1) mod DATASTORES and host 1 + (i-1) mod HOSTS (every host
-- sees every datastore, as in a cluster on shared storage).
-- Each night at 01:00 every VM takes a snapshot "nightly-<day>"; the oldest nightly one goes
-- (with the VM's strategy) while more than KEEP exist and no deletion runs on the VM (a
-- deletion that could not start is retried when the VM's running one ends).  Each night at
-- 22:00 every VM's file-mode backup is queued at proxy 1 + (i-1) mod PROXIES, inside a
-- 22:00-06:00 window; jobs still queued at 06:00 are missed (backup_missed).

local NVM = VMS or 1000
local NDS = DATASTORES or 10
local NHOST = HOSTS or 20
local NPROXY = PROXIES or 5
local NDAYS = DAYS or 30
local keep = KEEP or 3
local scale = RATE_SCALE or 1
local fraction = BACKUP_FRACTION or 0.05

scenario { name = string.format("fleet: %d VMs, %d days, keep %d", NVM, NDAYS, keep),
           duration = NDAYS * 86400, seed = 2026, sample_every = "1h" }

-- Room for the base disks and about four deltas per VM (a hotspot VM at 4 MB/s
-- touches about 17 GB a day of a 40 GB disk).
local per_ds = math.ceil(NVM / NDS)
for d = 1, NDS do
  datastore ("ds" .. d) { capacity = (per_ds * 150) .. "GB", bandwidth = "800MB/s" }
end
local all_ds = {}
for d = 1, NDS do all_ds[d] = "ds" .. d end
for h = 1, NHOST do host ("esx" .. h) { datastores = all_ds } end
for p = 1, NPROXY do proxy ("vcb" .. p) { bandwidth = "200MB/s", max_concurrent = 4 } end

local names = {}
for i = 1, NVM do
  local frac = (i * 0.6180339887498949) % 1
  local rate = (0.2 + 3.8 * frac) * scale
  local wl
  if i % 3 ~= 0 then
    wl = { rate = rate * 1e6, io_size = "8KB", arrivals = "poisson", pattern = "hotspot",
           hot = { fraction = 0.1, share = 0.9 } }
  else
    wl = { rate = rate * 1e6, io_size = { { "4KB", 0.8 }, { "64KB", 0.2 } }, arrivals = "poisson",
           pattern = "zipf", zipf = { s = 1.1 }, read_ratio = 1 / 3 }
  end
  local name = string.format("vm%04d", i)
  names[i] = name
  vm (name) {
    host = "esx" .. (1 + (i - 1) % NHOST), datastore = "ds" .. (1 + (i - 1) % NDS),
    memory = "4GB", power = "on",
    disk = { size = DISK or "40GB", provisioning = "thick", format = FORMAT or "seSparse",
             used = USED or "20GB" },
    strategy = STRATEGY or "vsphere6",
    workload = wl,
  }
end

-- The nightly snapshots of a VM, oldest first.
local function nightly(v)
  local out = {}
  for _, s in ipairs(snapshots(v)) do
    if s:sub(1, 8) == "nightly-" then out[#out + 1] = s end
  end
  return out
end

local function prune(v)
  if vm_state(v).consolidating then return end
  local s = nightly(v)
  if #s > keep then delete_snapshot(v, s[1]) end
end

every("24h", function()
  for i = 1, NVM do snapshot(names[i], "nightly-" .. day()) end
end, { start = "1h" })
on("snapshot_created", function(e) prune(e.vm) end)
on("consolidation_done", function(e) prune(e.vm) end)

every("24h", function()
  for i = 1, NVM do
    backup(names[i], { proxy = "vcb" .. (1 + (i - 1) % NPROXY), mode = "file", transport = "san",
                       file_fraction = fraction, window = { start = "22:00", stop = "06:00" } })
  end
end, { start = "22h" })
