{
  "targets": [
    {
      "target_name": "bfx_mmap",
      "sources": ["mmap.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
