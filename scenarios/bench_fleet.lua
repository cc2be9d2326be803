-- bench_fleet.lua -- the fleet benchmark (bench/bench_writes.c): 10 VMs for 7 days,
-- each writing 1 MB/s of 8 KB hotspot I/O, a snapshot every night, 3 kept.
-- Also a planning template: how much does a datastore of 10 such VMs need?

scenario { name = "fleet week", duration = "7d", seed = 99, sample_every = "1h" }
datastore "ds1" { capacity = "4TB", bandwidth = "400MB/s" }
host "esx01" { datastores = { "ds1" } }
for i = 1, 10 do
  vm ("vm" .. i) {
    host = "esx01", datastore = "ds1", memory = "4GB", power = "on",
    disk = { size = "100GB", provisioning = "thick", format = FORMAT or "seSparse" },
    strategy = "vsphere6",
    workload = { rate = "1MB/s", io_size = "8KB", pattern = "hotspot", hot = { fraction = 0.1, share = 0.9 } },
  }
end
every("24h", function()
  for i = 1, 10 do snapshot("vm" .. i, "nightly-" .. day()) end
end, { start = "1h" })
on("snapshot_created", function(e)
  local s = snapshots(e.vm)
  if #s > 3 then delete_snapshot(e.vm, s[1]) end
end)
