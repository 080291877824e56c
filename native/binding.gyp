{
  "targets": [
    {
      "target_name": "uvs_native",
      "sources": ["src/addon.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"]
    }
  ]
}
