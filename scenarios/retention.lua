-- retention.lua -- a planning template: nightly snapshots, keep the newest 3.
--
-- One VM under a hotspot workload (most writes land on 10 % of the disk) takes a
-- snapshot every night at 01:00; when a fourth exists, the oldest is deleted with the
-- VM's strategy.  How much does the datastore need?  Watch peak use in the summary and
-- /series/datastores.  Try --set STRATEGY=vsphere6 or --set KEEP=7.

local keep = KEEP or 3
scenario { name = "retention: nightly, keep " .. keep, duration = "7d", seed = 7, sample_every = "10m" }

datastore "ds1" { capacity = "300GB", bandwidth = "120MB/s" }
host "esx01" { datastores = { "ds1" } }
vm "db01" {
  host = "esx01", datastore = "ds1", memory = "8GB", power = "on",
  disk = { size = "100GB", provisioning = "thick", format = "vmfsSparse" },
  strategy = STRATEGY or "vsphere41",
  workload = { rate = "2MB/s", io_size = "8KB", arrivals = "poisson", pattern = "hotspot",
               hot = { fraction = 0.1, share = 0.9 } },
}

every("24h", function() snapshot("db01", "nightly-" .. day()) end, { start = "1h" })
on("snapshot_created", function(e)
  local s = snapshots(e.vm)
  if #s > keep then delete_snapshot(e.vm, s[1]) end
end)
every("1h", function() record("free_GB", datastore_state("ds1").free / 2^30) end)
