{
  "targets": [
    {
      "target_name": "memory_merge",
      "sources": ["memory_merge.c"]
    }
  ]
}
