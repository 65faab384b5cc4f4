# The seed's batch job: one 300 MiB allocation, which fails with MemoryError under an inherited
# 256 MiB address-space limit unless something raises the limit first.
data = bytearray(300 * 1024 * 1024)
print(f"allocated_bytes={len(data)}")
