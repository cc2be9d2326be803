-- seed_vi3.lua -- the seed walk-through: why "Delete All" on ESX 3.5 once needed 32 GB free.
--
-- A 30 GB thick disk with three snapshots whose deltas hold 5, 2 and 15 GB of
-- disjoint guest writes:   flat 30 GB <- 000001 (5 GB) <- 000002 (2 GB) <- 000003 (15 GB, current)
-- Three identical VMs, one per datastore, each show one deletion:
--   vi3-newest: delete the newest snapshot  -> 000003 merged into 000002: needs 15 GB free
--   vi3-first:  delete the first snapshot   -> 000001 merged into the thick flat file: needs 0
--   vi3-all:    Delete All, ESX 3.x order   -> 15 + 17 + 0 = 32 GB free
-- The `ideal` format (4 KiB grains, no metadata) makes the arithmetic exact; with
-- FORMAT=vmfsSparse (snapsim run ... --set FORMAT=vmfsSparse) metadata adds a little.
-- STRATEGY (default esx35) picks the strategy for all three.

local strategy = STRATEGY or "esx35"
local format = FORMAT or "ideal"

scenario { name = "seed walk-through (VI3 Delete All)", duration = "3h", seed = 1, sample_every = "1m" }

local vms = { "vi3-newest", "vi3-first", "vi3-all" }
host "esx01" { clock = { offset = "0s", drift_ppm = 0 } }
for _, name in ipairs(vms) do
  datastore ("ds-" .. name) { capacity = "100GB", bandwidth = "100MB/s" }
end
for _, name in ipairs(vms) do
  vm (name) {
    host = "esx01", datastore = "ds-" .. name, memory = "1GB", power = "on",
    disk = { size = "30GB", provisioning = "thick", format = format },
    strategy = strategy,
  }
end

local GB = 1024 * 1024 * 1024
local function gb(b) return string.format("%.2f GB", b / GB) end
local function used(name) return datastore_state("ds-" .. name).used end

-- Build the chain on every VM: snapshot, write, snapshot, write, ...
at(0, function()
  print("Each VM has a 30 GB thick disk. We take three snapshots; the guest writes 5, 2 and 15 GB after them.")
  for _, name in ipairs(vms) do
    snapshot(name, "s1"); write(name, { offset = 0,      bytes = 5 * GB })
    snapshot(name, "s2"); write(name, { offset = 5 * GB, bytes = 2 * GB })
    snapshot(name, "s3"); write(name, { offset = 7 * GB, bytes = 15 * GB })
  end
  local st = vm_state("vi3-all")
  for _, f in ipairs(st.files) do
    print(string.format("  %-26s %-6s %s", f.name, f.kind, gb(f.size)))
  end
  print("The guest now writes only to the newest delta (000003); reads go down the chain.")
end)

local before = {}
at("10m", function()
  for _, name in ipairs(vms) do before[name] = used(name) end
  print("vi3-newest: delete the newest snapshot: 000003 is merged into 000002 (needs up to 15 GB free).")
  delete_snapshot("vi3-newest", "s3")
  print("vi3-first: delete the first snapshot: 000001 is merged into the thick flat file in place (needs 0).")
  delete_snapshot("vi3-first", "s1")
  print("vi3-all: Delete All with strategy " .. strategy .. ".")
  delete_all("vi3-all")
end)

on("consolidation_step", function(e)
  print(string.format("  %s: merged %s: %s copied in %.0f s; datastore use %s %s than before the deletion",
    e.vm, e.detail, gb(e.bytes), e.value, gb(math.abs(used(e.vm) - before[e.vm])),
    used(e.vm) >= before[e.vm] and "more" or "less"))
end)

RESULTS = {}   -- per VM, the consolidation_done event (read by the tests)
on("consolidation_done", function(e)
  RESULTS[e.vm] = e
  print(string.format("%s done: peak extra space %s (worst case %s), %s copied, %.0f s, VM stunned %.2f s",
    e.vm, gb(e.peak_extra_bytes), gb(e.worst_case_bytes), gb(e.bytes_copied), e.duration, e.stun_time))
  record("peak_extra_GB:" .. e.vm, e.peak_extra_bytes / GB)
end)
