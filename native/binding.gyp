{
  "targets": [
    {
      "target_name": "uvs_native",
      "sources": ["src/addon.c", "src/afpacket.c", "src/tun.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"]
    }
  ]
}
