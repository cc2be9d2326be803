-- nightly_keep.lua -- a planning template for sweeps: how much free space does each datastore
-- need, at 95 % confidence, with KEEP nightly snapshots kept?
--
-- Two datastores, three VMs each, every VM with its own random workload (a hotspot of busy
-- blocks plus writes across the disk, 1 MiB I/Os at Poisson times).  Every night at 01:00 each
-- VM takes a snapshot; once more than KEEP exist, the oldest is deleted with the VM's strategy.
-- The question is answered by a sweep:
--
--   snapsim sweep scenarios/nightly_keep.lua --param KEEP=1..5 --replications 10 -o out/keep
--   python3 analysis/compare.py out/keep --metric 'datastore:*:peak_extra' -o out/keep.png
--
-- "peak_extra" is the highest use minus the use at the start: the free space a datastore needs.
-- Globals read: KEEP (default 3), STRATEGY (default vsphere41), DAYS (default 14).

local keep = KEEP or 3
local days = DAYS or 14
scenario { name = "nightly, keep " .. keep, duration = days .. "d", seed = 2024, sample_every = "1h" }

datastore "gold" { capacity = "2TB", bandwidth = "200MB/s" }
datastore "silver" { capacity = "2TB", bandwidth = "120MB/s" }
host "esx01" { datastores = { "gold", "silver" } }

-- name, datastore, disk, write rate: the VMs differ, each draws its own stream.
local vms = {
  { "db01", "gold", "200GB", "1.5MB/s" }, { "db02", "gold", "200GB", "1MB/s" },
  { "mail01", "gold", "100GB", "0.5MB/s" },
  { "web01", "silver", "50GB", "0.25MB/s" }, { "web02", "silver", "50GB", "0.25MB/s" },
  { "file01", "silver", "300GB", "0.75MB/s" },
}
for _, v in ipairs(vms) do
  vm(v[1]) {
    host = "esx01", datastore = v[2], memory = "4GB", power = "on",
    disk = { size = v[3], provisioning = "thick", format = "vmfsSparse" },
    strategy = STRATEGY or "vsphere41",
    workload = { rate = v[4], io_size = "1MB", arrivals = "poisson", pattern = "hotspot",
                 hot = { fraction = 0.05, share = 0.8 } },
  }
end

every("24h", function()
  for _, v in ipairs(vms) do snapshot(v[1], "nightly-" .. day()) end
end, { start = "1h" })
on("snapshot_created", function(e)
  local s = snapshots(e.vm)
  if #s > keep then delete_snapshot(e.vm, s[1]) end
end)
