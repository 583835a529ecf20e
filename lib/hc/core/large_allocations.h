#pragma once

namespace hc {

// Makes glibc's malloc serve and keep blocks of up to 512 MB from its heap instead of mapping
// fresh pages for each one. Model inference on the CPU allocates and frees the same large
// activation buffers layer after layer (a batch-64 ViT-B MLP: 40 MB each); glibc maps anything
// above its mmap threshold (at most 32 MB by default) afresh, and the page faults on those
// pages cost as much as the arithmetic (bench_clip_forward: fp32 batch-64 text 1.5-1.9x
// faster with this). Freed memory stays with the process for reuse. Idempotent; does nothing
// when the malloc is not glibc's, or when MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is
// set in the environment (the user's choice wins).
void keep_large_allocations();

}  // namespace hc
